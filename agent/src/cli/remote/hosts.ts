// `rewind hosts`: every enrolled host, online or not, and its newest verified backup.
import type { Subcommand } from "../main.ts";
import { clientFor, commonUsage, parseRemote, positional, printJson } from "./args.ts";
import { table } from "./format.ts";
import { hostList } from "./responses.ts";

const usage = `usage: rewind hosts [--json]\n${commonUsage}\n`;

export const run: Subcommand = async (argv, io) => {
  const { values, positionals } = parseRemote(argv, {}, usage);
  if (values.help) {
    io.stdout.write(usage);
    return 0;
  }
  positional(positionals, 0, usage);
  const { hosts } = await (await clientFor(values, io)).get("/v1/hosts", hostList);
  if (values.json) {
    printJson(io, { hosts });
    return 0;
  }
  const rows = hosts.map((host) => [
    host.name,
    host.status,
    host.lastSeenAt ?? "never",
    host.newestBackup ? `${host.newestBackup.backupId} (${host.newestBackup.createdAt})` : "none",
    host.agentVersion,
  ]);
  io.stdout.write(table(["HOST", "STATUS", "LAST SEEN", "NEWEST BACKUP", "AGENT"], rows));
  return 0;
};

// `rewind backups HOST`: the host's verified backups, newest first, as the control plane indexed them.
import type { Subcommand } from "../main.ts";
import { clientFor, commonUsage, parseRemote, positional, printJson } from "./args.ts";
import { table } from "./format.ts";
import { backupList } from "./responses.ts";

const usage = `usage: rewind backups HOST [--json]\n${commonUsage}\n`;

export const run: Subcommand = async (argv, io) => {
  const { values, positionals } = parseRemote(argv, {}, usage);
  if (values.help) {
    io.stdout.write(usage);
    return 0;
  }
  const [host = ""] = positional(positionals, 1, usage);
  const { backups } = await (await clientFor(values, io)).get(`/v1/hosts/${encodeURIComponent(host)}/backups`, backupList);
  if (values.json) {
    printJson(io, { backups });
    return 0;
  }
  if (backups.length === 0) {
    io.stdout.write(`${host} has no verified backup yet\n`);
    return 0;
  }
  const rows = backups.map((b) => [b.backupId, b.createdAt, b.gitCommit.slice(0, 12), b.gitBranch, b.verified ? "yes" : "no"]);
  io.stdout.write(table(["BACKUP", "CREATED", "COMMIT", "BRANCH", "VERIFIED"], rows));
  return 0;
};

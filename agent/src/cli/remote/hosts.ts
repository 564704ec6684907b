// `rewind hosts`: every enrolled host, online or not, and its newest verified backup.
import { parseCommand, positionals } from "../args.ts";
import { remoteCommandExit, remoteExitCodes } from "../exit-codes.ts";
import { formatAge, table } from "../format.ts";
import type { Command } from "../io.ts";
import { clientFor, printJson, remoteOptions } from "./args.ts";
import { hostList } from "../../../../shared/schemas/api.ts";

const options = { ...remoteOptions } as const;

export const command: Command = {
  help: {
    usage: ["rewind hosts [--json]"],
    description:
      "Lists every enrolled host: online or offline, when its agent was last seen, its newest verified backup\nand its agent version. Times are shown as ages; --json has the exact timestamps.",
    options,
    exitCodes: remoteExitCodes,
  },
  exitCodeFor: remoteCommandExit,
  async run(argv, io) {
    const { values, positionals: given } = parseCommand(options, argv, true);
    positionals(given, []);
    const { hosts } = await (await clientFor(values, io)).get("/v1/hosts", hostList);
    if (values.json) {
      printJson(io, { hosts });
      return 0;
    }
    if (hosts.length === 0) {
      io.stdout.write("no hosts enrolled yet: run `rewind agent enroll` on a host with an enrollment token (the console or POST /v1/enrollments makes one)\n");
      return 0;
    }
    const now = Date.now();
    const rows = hosts.map((host) => [
      host.name,
      host.status,
      formatAge(host.lastSeenAt, now),
      host.newestBackup ? `${host.newestBackup.backupId} (${formatAge(host.newestBackup.createdAt, now)})` : "none",
      host.agentVersion,
    ]);
    io.stdout.write(table(["HOST", "STATUS", "LAST SEEN", "NEWEST BACKUP", "AGENT"], rows));
    return 0;
  },
};

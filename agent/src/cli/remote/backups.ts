// `rewind backups HOST`: the host's verified backups, newest first, as the control plane indexed them.
import { parseCommand, positionals } from "../args.ts";
import { remoteCommandExit, remoteExitCodes } from "../exit-codes.ts";
import { formatAge, table } from "../format.ts";
import type { Command } from "../io.ts";
import { clientFor, printJson, remoteOptions } from "./args.ts";
import { backupList } from "../../../../shared/schemas/api.ts";

const options = { ...remoteOptions } as const;

export const command: Command = {
  help: {
    usage: ["rewind backups HOST [--json]"],
    description:
      "Lists HOST's verified backups, newest first, as its agent announced them: the id to pass to\n`rewind rollback HOST --backup ID`, its age, and the commit and branch it was taken at.",
    options,
    exitCodes: remoteExitCodes,
  },
  exitCodeFor: remoteCommandExit,
  async run(argv, io) {
    const { values, positionals: given } = parseCommand(options, argv, true);
    const [host = ""] = positionals(given, ["HOST"]);
    const { backups } = await (await clientFor(values, io)).get(`/v1/hosts/${encodeURIComponent(host)}/backups`, backupList);
    if (values.json) {
      printJson(io, { backups });
      return 0;
    }
    if (backups.length === 0) {
      io.stdout.write(`${host} has no verified backup yet\n`);
      return 0;
    }
    const now = Date.now();
    const rows = backups.map((b) => [b.backupId, formatAge(b.createdAt, now), b.gitCommit.slice(0, 12), b.gitBranch, b.verified ? "yes" : "no"]);
    io.stdout.write(table(["BACKUP", "CREATED", "COMMIT", "BRANCH", "VERIFIED"], rows));
    return 0;
  },
};

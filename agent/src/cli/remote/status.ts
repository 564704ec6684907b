// `rewind status ID [--follow]`: a rollback's state and a line per step, live until it ends with
// --follow. The exit code says how it ended, so scripts need no parsing (exit-codes.ts).
// `rewind status --local` on a host: what it keeps for an undo (commands/status-local.ts).
import { parseCommand, positionals } from "../args.ts";
import { localStatusOptions, runLocalStatus } from "../commands/status-local.ts";
import { hostCommandExit, statusErrorExit, statusExitCodes } from "../exit-codes.ts";
import type { Command } from "../io.ts";
import { clientFor, remoteOptions } from "./args.ts";
import { watchRollback } from "./follow.ts";

const options = {
  follow: { type: "boolean", short: "f", default: false, description: "keep watching until the rollback ends (redrawn in place on a terminal)" },
  ...remoteOptions,
} as const;

export const command: Command = {
  help: {
    usage: ["rewind status ROLLBACK_ID [--follow] [--json]", "rewind status --local [--config PATH] [--json]"],
    description:
      "Shows a rollback: its state, who asked and why, and a line per step with its duration. With --follow it\nkeeps watching until the rollback ends; --json prints the control plane's answer (one line per change\nwith --follow).\nWith --local, on a host: the set-aside data copies (databases, MinIO directories) and image holds it\nkeeps so a rollback can be undone, each with its rollback, age and when retention may remove it.",
    optionsTitle: "options (a rollback, through the control plane)",
    options,
    moreOptions: [{ title: "with --local (on the host itself)", options: localStatusOptions }],
    exitCodes: statusExitCodes,
    notes: "in a script:\n  rewind status \"$id\" --follow; case $? in 0) echo restored ;; 1) echo 'not restored' ;; *) echo 'ask again' ;; esac",
  },
  exitCodeFor: (error, argv) => (argv.includes("--local") ? hostCommandExit(error) : statusErrorExit(error)),
  async run(argv, io) {
    if (argv.includes("--local")) return runLocalStatus(argv, io);
    const { values, positionals: given } = parseCommand(options, argv, true);
    const [id = ""] = positionals(given, ["ROLLBACK_ID"]);
    return watchRollback(await clientFor(values, io), id, io, { follow: values.follow, json: values.json });
  },
};

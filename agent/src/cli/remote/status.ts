// `rewind status ID [--follow]`: a rollback's state and a line per step, live until it ends with
// --follow. The exit code says how it ended, so scripts need no parsing (exit-codes.ts).
import { parseCommand, positionals } from "../args.ts";
import { statusErrorExit, statusExitCodes } from "../exit-codes.ts";
import type { Command } from "../io.ts";
import { clientFor, remoteOptions } from "./args.ts";
import { watchRollback } from "./follow.ts";

const options = {
  follow: { type: "boolean", short: "f", default: false, description: "keep watching until the rollback ends (redrawn in place on a terminal)" },
  ...remoteOptions,
} as const;

export const command: Command = {
  help: {
    usage: ["rewind status ROLLBACK_ID [--follow] [--json]"],
    description:
      "Shows a rollback: its state, who asked and why, and a line per step with its duration. With --follow it\nkeeps watching until the rollback ends; --json prints the control plane's answer (one line per change\nwith --follow).",
    options,
    exitCodes: statusExitCodes,
    notes: "in a script:\n  rewind status \"$id\" --follow; case $? in 0) echo restored ;; 1) echo 'not restored' ;; *) echo 'ask again' ;; esac",
  },
  exitCodeFor: statusErrorExit,
  async run(argv, io) {
    const { values, positionals: given } = parseCommand(options, argv, true);
    const [id = ""] = positionals(given, ["ROLLBACK_ID"]);
    return watchRollback(await clientFor(values, io), id, io, { follow: values.follow, json: values.json });
  },
};

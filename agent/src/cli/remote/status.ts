// `rewind status ID [--follow]`: a rollback's state and a line per step, live until it ends with
// --follow. Exit 0 when it succeeded, 1 otherwise (still running without --follow included).
import type { Subcommand } from "../main.ts";
import { clientFor, commonUsage, parseRemote, positional } from "./args.ts";
import { watchRollback } from "./follow.ts";

const usage = `usage: rewind status ROLLBACK_ID [--follow] [--json]\n${commonUsage}\n`;

export const run: Subcommand = async (argv, io) => {
  const { values, positionals } = parseRemote(argv, { follow: { type: "boolean", short: "f", default: false } }, usage);
  if (values.help) {
    io.stdout.write(usage);
    return 0;
  }
  const [id = ""] = positional(positionals, 1, usage);
  return watchRollback(await clientFor(values, io), id, io, { follow: values.follow, json: values.json });
};

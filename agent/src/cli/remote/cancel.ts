// `rewind cancel ID`: stops a rollback that has not stopped services yet (refused after, with why).
import type { Subcommand } from "../main.ts";
import { clientFor, commonUsage, parseRemote, positional, printJson } from "./args.ts";
import { cancelAnswer } from "./responses.ts";

const usage = `usage: rewind cancel ROLLBACK_ID [--json]\n${commonUsage}\n`;

export const run: Subcommand = async (argv, io) => {
  const { values, positionals } = parseRemote(argv, {}, usage);
  if (values.help) {
    io.stdout.write(usage);
    return 0;
  }
  const [id = ""] = positional(positionals, 1, usage);
  const answer = await (await clientFor(values, io)).post(`/v1/rollbacks/${encodeURIComponent(id)}/cancel`, cancelAnswer);
  if (values.json) printJson(io, answer);
  else if (answer.state === "cancelled") io.stdout.write(`rollback ${answer.rollbackId} cancelled\n`);
  else io.stdout.write(`rollback ${answer.rollbackId}: cancel sent to the agent; follow it with: rewind status ${answer.rollbackId} --follow\n`);
  return 0;
};

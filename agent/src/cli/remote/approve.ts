// `rewind approve ID`: a second operator approves a rollback that waits for approval; when enough
// distinct operators approved, the control plane sends it to the host.
import type { Subcommand } from "../main.ts";
import { clientFor, commonUsage, parseRemote, positional, printJson } from "./args.ts";
import { approvalAnswer } from "./responses.ts";

const usage = `usage: rewind approve ROLLBACK_ID [--json]\n${commonUsage}\n`;

export const run: Subcommand = async (argv, io) => {
  const { values, positionals } = parseRemote(argv, {}, usage);
  if (values.help) {
    io.stdout.write(usage);
    return 0;
  }
  const [id = ""] = positional(positionals, 1, usage);
  const answer = await (await clientFor(values, io)).post(`/v1/rollbacks/${encodeURIComponent(id)}/approve`, approvalAnswer);
  if (values.json) printJson(io, answer);
  else io.stdout.write(`rollback ${answer.rollbackId}: ${answer.approvals} of ${answer.approvalsRequired} approvals, now ${answer.state}\n`);
  return 0;
};

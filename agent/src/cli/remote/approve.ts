// `rewind approve ID`: a second operator approves a rollback that waits for approval; when enough
// distinct operators approved, the control plane sends it to the host.
import { parseCommand, positionals } from "../args.ts";
import { remoteCommandExit, remoteExitCodes } from "../exit-codes.ts";
import type { Command } from "../io.ts";
import { clientFor, printJson, remoteOptions } from "./args.ts";
import { approvalAnswer } from "../../../../shared/schemas/api.ts";

const options = { ...remoteOptions } as const;

export const command: Command = {
  help: {
    usage: ["rewind approve ROLLBACK_ID [--json]"],
    description:
      "Approves a rollback in state pending-approval (hosts that require a second operator). The operator who\nrequested it cannot approve it; once enough others did, the control plane sends it to the host.",
    options,
    exitCodes: remoteExitCodes,
  },
  exitCodeFor: remoteCommandExit,
  async run(argv, io) {
    const { values, positionals: given } = parseCommand(options, argv, true);
    const [id = ""] = positionals(given, ["ROLLBACK_ID"]);
    const answer = await (await clientFor(values, io)).post(`/v1/rollbacks/${encodeURIComponent(id)}/approve`, approvalAnswer);
    if (values.json) printJson(io, answer);
    else io.stdout.write(`rollback ${answer.rollbackId}: ${answer.approvals} of ${answer.approvalsRequired} approvals, now ${answer.state}\n`);
    return 0;
  },
};

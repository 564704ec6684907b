// `rewind approve ID`: a second operator approves a rollback that waits for approval; when enough
// distinct operators approved, the control plane sends it to the host.
import { approvalAnswer } from "../../../../shared/schemas/api.ts";
import { rollbackActionCommand } from "./rollback-action.ts";

export const command = rollbackActionCommand({
  action: "approve",
  usage: "rewind approve ROLLBACK_ID [--json]",
  description:
    "Approves a rollback in state pending-approval (hosts that require a second operator). The operator who\nrequested it cannot approve it; once enough others did, the control plane sends it to the host.",
  options: {},
  answer: approvalAnswer,
  summary: (answer) => `rollback ${answer.rollbackId}: ${answer.approvals} of ${answer.approvalsRequired} approvals, now ${answer.state}`,
});

// `rewind abandon ID --reason TEXT` (admin): gives up on a running rollback whose agent is gone, so
// the host takes rollbacks again; the rollback becomes `lost` and the host's state is unknown.
import { abandonAnswer } from "../../../../shared/schemas/api.ts";
import { usageError } from "../args.ts";
import { rollbackActionCommand } from "./rollback-action.ts";

export const command = rollbackActionCommand({
  action: "abandon",
  usage: "rewind abandon ROLLBACK_ID --reason TEXT [--json]",
  description:
    "Gives up on a running rollback whose agent stopped answering (admin token): it becomes lost, is audited\nand notified, and the host takes rollbacks again. Check what the host runs before rolling it back again.\nA running rollback with no word from its agent becomes lost by itself after its deadline.",
  options: { reason: { type: "string", value: "TEXT", description: "why, for the audit log and the notification (required)" } },
  answer: abandonAnswer,
  body: (values) => {
    const reason = values.reason?.trim();
    if (reason === undefined || reason === "") throw usageError("--reason TEXT is required: say why the rollback is abandoned");
    return { reason };
  },
  summary: (answer) => `rollback ${answer.rollbackId} ${answer.state}: the host takes rollbacks again; check its state first`,
});

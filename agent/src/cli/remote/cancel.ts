// `rewind cancel ID`: stops a rollback that has not stopped services yet (refused after, with why).
import { cancelAnswer } from "../../../../shared/schemas/api.ts";
import { rollbackActionCommand } from "./rollback-action.ts";

export const command = rollbackActionCommand({
  action: "cancel",
  usage: "rewind cancel ROLLBACK_ID [--json]",
  description:
    "Cancels a rollback that has not stopped services yet: at once while it waits for approval or for its\nhost, else the agent stops before stop-services. Refused once services are down (the rollback then\nfinishes, or undoes itself).",
  options: {},
  answer: cancelAnswer,
  summary: (answer) =>
    answer.state === "cancelled"
      ? `rollback ${answer.rollbackId} cancelled`
      : `rollback ${answer.rollbackId}: cancel sent to the agent; follow it with: rewind status ${answer.rollbackId} --follow`,
});

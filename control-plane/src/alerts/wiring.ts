// Keeps the alert policy's memory in step with rollbacks it did not start: an operator's manual
// rollback is a person acting on the host, so the automatic streak starts again from zero.
import type { RollbackTransitionListener } from "../rollbacks/durable-object/transitions.ts";
import { resetStreak } from "./store.ts";

export const resetStreakOnManualRollback: RollbackTransitionListener = async (env, rollback, from) => {
  if (from !== undefined || rollback.automatic || rollback.requestedBy.kind !== "token") return;
  await resetStreak(env, rollback.host, rollback.createdAt, rollback.requestedBy.tokenId);
};

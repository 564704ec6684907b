// Every rollback state change passes through here after it is stored and audited. The listeners
// (notifications, the alert policy's memory) are handed to the desk by the HostChannel that builds
// it; a failing listener is logged and never undoes or blocks the transition.
import type { RollbackState } from "../../../../shared/schemas/rollback-states.ts";
import type { Env } from "../../env.ts";
import { errorFields, log } from "../../log.ts";
import type { RollbackRecord } from "../record.ts";

/** `from` is undefined when the rollback was just created. */
export type RollbackTransitionListener = (env: Env, rollback: RollbackRecord, from: RollbackState | undefined, to: RollbackState) => Promise<void>;

export async function emitRollbackTransition(
  listeners: readonly RollbackTransitionListener[],
  env: Env,
  rollback: RollbackRecord,
  from: RollbackState | undefined,
  to: RollbackState,
): Promise<void> {
  for (const listener of listeners) {
    try {
      await listener(env, rollback, from, to);
    } catch (error) {
      log.error("rollback.listener_failed", { rollbackId: rollback.rollbackId, from, to, ...errorFields(error) });
    }
  }
}

// The one place every rollback state change passes through after it is stored and audited. Other
// modules (notifications) register a listener here at start-up; a failing listener is logged and
// never undoes or blocks the transition.
import type { RollbackState } from "../../../shared/schemas/rollback.ts";
import type { Env } from "../env.ts";
import { errorFields, log } from "../log.ts";
import type { RollbackRecord } from "./record.ts";

/** `from` is undefined when the rollback was just created. */
export type RollbackTransitionListener = (
  env: Env,
  rollback: RollbackRecord,
  from: RollbackState | undefined,
  to: RollbackState,
) => Promise<void>;

const listeners: RollbackTransitionListener[] = [];

export function onRollbackTransition(listener: RollbackTransitionListener): void {
  listeners.push(listener);
}

export async function emitRollbackTransition(
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

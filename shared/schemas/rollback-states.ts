// A rollback's states, the sets the server, the CLI and the console decide on, and its step ids in
// the order the engine runs them. Plain constants (no zod) so the console's bundle can take them as
// they are; shared/schemas/rollback.ts builds the zod schemas from them.
export const rollbackStepIds = ["preflight", "load-backup", "document-state", "stage", "stop-services", "swap", "revert-code", "start", "verify"] as const;
export type RollbackStepId = (typeof rollbackStepIds)[number];

export const rollbackStates = [
  "pending-approval",
  "queued",
  "running",
  "succeeded",
  "failed",
  "undone",
  "cancelled",
  "expired",
  /** Acked, then nothing from the agent past its deadline, or abandoned by an admin: no longer blocks the host. */
  "lost",
] as const;
export type RollbackState = (typeof rollbackStates)[number];

/** A rollback in one of these blocks every other rollback of its host. */
export const inFlightRollbackStates: readonly RollbackState[] = ["pending-approval", "queued", "running"];

/** Takes any string: a state this client does not know is not in flight here. */
export function isInFlightRollbackState(state: string): boolean {
  return (inFlightRollbackStates as readonly string[]).includes(state);
}

/** Nothing moves a rollback out of these, except a late result from its agent ending a `lost` one. */
export const finalRollbackStates: readonly RollbackState[] = ["succeeded", "failed", "undone", "cancelled", "expired", "lost"];

/** Takes any string: a newer server may answer a state this client does not know (not final here). */
export function isFinalRollbackState(state: string): boolean {
  return (finalRollbackStates as readonly string[]).includes(state);
}

/** Cancelling is honoured only before this step starts: after it, services are down. */
export const lastCancellableBefore: RollbackStepId = "stop-services";

// The rollback's vocabulary: step ids in the order the engine runs them, and their states.
import * as z from "zod";

export const rollbackStepIds = [
  "preflight",
  "load-backup",
  "document-state",
  "stage",
  "stop-services",
  "swap",
  "revert-code",
  "start",
  "verify",
] as const;
export const rollbackStepId = z.enum(rollbackStepIds);
export type RollbackStepId = z.output<typeof rollbackStepId>;

/** Extra steps that are not part of the forward plan but are reported the same way. */
export const auxiliaryStepIds = ["undo", "watch", "backup"] as const;
export const reportedStepId = z.enum([...rollbackStepIds, ...auxiliaryStepIds]);
export type ReportedStepId = z.output<typeof reportedStepId>;

export const stepState = z.enum(["pending", "running", "succeeded", "failed", "skipped"]);
export type StepState = z.output<typeof stepState>;

export const rollbackState = z.enum([
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
]);
export type RollbackState = z.output<typeof rollbackState>;

/** A rollback in one of these blocks every other rollback of its host. */
export const inFlightRollbackStates: readonly RollbackState[] = ["pending-approval", "queued", "running"];
/** Nothing moves a rollback out of these, except a late result from its agent ending a `lost` one. */
export const finalRollbackStates: readonly RollbackState[] = ["succeeded", "failed", "undone", "cancelled", "expired", "lost"];

/** Cancelling is honoured only before this step starts: after it, services are down. */
export const lastCancellableBefore: RollbackStepId = "stop-services";

// The rollback's vocabulary: step ids in the order the engine runs them, and their states.
import * as z from "./zod.ts";
import { type RollbackState, rollbackStates, rollbackStepIds } from "./rollback-states.ts";

export { rollbackStepIds };
export const rollbackStepId = z.enum(rollbackStepIds);
export type RollbackStepId = z.output<typeof rollbackStepId>;

/** Extra steps that are not part of the forward plan but are reported the same way. */
export const auxiliaryStepIds = ["undo", "watch", "backup"] as const;
export const reportedStepId = z.enum([...rollbackStepIds, ...auxiliaryStepIds]);
export type ReportedStepId = z.output<typeof reportedStepId>;

export const stepState = z.enum(["pending", "running", "succeeded", "failed", "skipped"]);
export type StepState = z.output<typeof stepState>;

export const rollbackState = z.enum(rollbackStates);
export type { RollbackState };

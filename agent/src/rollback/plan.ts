// The rollback plan as data: which steps run, in which order, and which of them change the host.
// A full rollback runs all nine; code-only leaves data alone; a dry run only checks.
import type { RollbackStepId } from "../../../shared/schemas/rollback.ts";
import { rollbackStepIds } from "../../../shared/schemas/rollback.ts";

export type RollbackMode = "full" | "code-only";

export interface PlanInput {
  mode: RollbackMode;
  dryRun: boolean;
}

export interface Step {
  id: RollbackStepId;
  /** True once services may be down: a failure from here on triggers the undo. */
  needsUndoOnFailure: boolean;
  /** Whether this step touches the database and MinIO data (false in code-only mode). */
  data: boolean;
}

const dataSteps: readonly RollbackStepId[] = ["stage", "swap"];
const checkSteps: readonly RollbackStepId[] = ["preflight", "load-backup"];
const firstDowntimeStep: RollbackStepId = "stop-services";

export function planRollback(input: PlanInput): Step[] {
  const downtimeIndex = rollbackStepIds.indexOf(firstDowntimeStep);
  return rollbackStepIds
    .filter((id) => !input.dryRun || checkSteps.includes(id))
    .filter((id) => input.mode === "full" || !dataSteps.includes(id))
    .map((id) => ({
      id,
      needsUndoOnFailure: rollbackStepIds.indexOf(id) >= downtimeIndex,
      data: dataSteps.includes(id),
    }));
}

// Folds the agent's progress reports for a rollback's command into one line per step, in the order
// the steps first reported: the latest state, when it started, how long it took, its last message.
import type { RollbackStep } from "../../../../shared/schemas/api.ts";
import type { ReportedStepId, StepState } from "../../../../shared/schemas/rollback.ts";

export interface ProgressLike {
  step: ReportedStepId;
  state: StepState;
  startedAt?: string;
  durationMs?: number;
  message?: string;
}

/** One step as the API answers it (shared/schemas/api.ts), with the server's own vocabulary. */
export type StepView = RollbackStep & { step: ReportedStepId; state: StepState };

const finished: readonly StepState[] = ["succeeded", "failed", "skipped"];

export function foldSteps(reports: readonly ProgressLike[]): StepView[] {
  const steps = new Map<ReportedStepId, StepView>();
  for (const report of reports) {
    const previous = steps.get(report.step);
    // A step never runs again once it ended: a late "running" (reordered by a reconnect) is stale.
    if (previous !== undefined && finished.includes(previous.state) && !finished.includes(report.state)) continue;
    const startedAt = report.startedAt ?? previous?.startedAt;
    const durationMs = report.durationMs ?? (report.state === "running" ? undefined : previous?.durationMs);
    const message = report.message ?? previous?.message;
    steps.set(report.step, {
      step: report.step,
      state: report.state,
      ...(startedAt === undefined ? {} : { startedAt }),
      ...(durationMs === undefined ? {} : { durationMs }),
      ...(message === undefined ? {} : { message }),
    });
  }
  return [...steps.values()];
}

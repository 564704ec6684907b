// Which notifications a rollback's state change means: requested, started, step failed, succeeded,
// failed, undone. Pure: the record, the transition and the failing step (read from the agent's
// reports by the caller) in, zero or more events out.
import type { ReportedStepId, RollbackState } from "../../../shared/schemas/rollback.ts";
import type { RollbackRecord } from "../rollbacks/record.ts";
import { requesterName } from "../rollbacks/record.ts";
import type { NotifyEvent } from "./events.ts";

export interface FailedStep {
  step: ReportedStepId;
  message: string;
}

export function transitionEvents(rollback: RollbackRecord, from: RollbackState | undefined, to: RollbackState, failedStep?: FailedStep): NotifyEvent[] {
  const facts = { host: rollback.host, rollbackId: rollback.rollbackId };
  if (from === undefined) {
    return [
      {
        type: "rollback.requested",
        ...facts,
        requestedBy: rollback.automatic
          ? `${requesterName(rollback.requestedBy)} (automatic, ${rollback.source ?? "policy"})`
          : requesterName(rollback.requestedBy),
        reason: rollback.reason,
        backupId: rollback.backupId,
      },
    ];
  }
  const message = rollback.outcome?.message ?? failedStep?.message ?? `rollback ${to}`;
  const stepFailed: NotifyEvent[] =
    failedStep === undefined ? [] : [{ type: "rollback.step-failed", ...facts, step: failedStep.step, message: failedStep.message }];
  const step = failedStep === undefined ? {} : { step: failedStep.step };
  switch (to) {
    case "running":
      return [{ type: "rollback.started", ...facts, backupId: rollback.backupId }];
    case "succeeded":
      return [{ type: "rollback.succeeded", ...facts, durationMs: Math.max(0, rollback.updatedAt - rollback.createdAt) }];
    case "failed":
      return [
        ...stepFailed,
        { type: "rollback.failed", ...facts, ...step, ...(rollback.outcome?.code === undefined ? {} : { code: rollback.outcome.code }), message },
      ];
    case "undone":
      return [...stepFailed, { type: "rollback.undone", ...facts, ...step, message }];
    case "lost":
      return [{ type: "rollback.lost", ...facts, code: rollback.outcome?.code ?? "LOST", message }];
    case "pending-approval":
    case "queued":
    case "cancelled":
    case "expired":
      return [];
  }
}

/** The first step the agent reported as failed, from its progress reports in arrival order. */
export function firstFailedStep(
  reports: ReadonlyArray<{ kind: string; step?: string; state?: string; message?: string }>,
  isStep: (step: string) => step is ReportedStepId,
): FailedStep | undefined {
  for (const report of reports) {
    if (report.kind !== "progress" || report.state !== "failed" || report.step === undefined || !isStep(report.step)) continue;
    if (report.step === "undo" || report.step === "watch") continue;
    return { step: report.step, message: report.message ?? `${report.step} failed` };
  }
  return undefined;
}

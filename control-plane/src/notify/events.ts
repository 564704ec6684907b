// What the control plane tells people about: the rollback's life, automatic decisions, and hosts
// that need attention. Plain data built by the caller; messages.ts renders it.
import type { AlertDecision } from "../../../shared/schemas/alerts.ts";
import type { ReportedStepId } from "../../../shared/schemas/rollback.ts";

interface RollbackFacts {
  host: string;
  rollbackId: string;
}

export type NotifyEvent =
  | (RollbackFacts & { type: "rollback.requested"; requestedBy: string; reason: string; backupId?: string })
  | (RollbackFacts & { type: "rollback.started"; backupId?: string })
  | (RollbackFacts & { type: "rollback.step-failed"; step: ReportedStepId; message: string })
  | (RollbackFacts & { type: "rollback.succeeded"; durationMs: number })
  | (RollbackFacts & { type: "rollback.failed"; step?: ReportedStepId; code?: string; message: string })
  /** Failed after services stopped, and the previous state was put back. */
  | (RollbackFacts & { type: "rollback.undone"; step?: ReportedStepId; message: string })
  /** Running with no word from the agent past its deadline (LOST), or given up by an admin (ABANDONED). */
  | (RollbackFacts & { type: "rollback.lost"; code: string; message: string })
  | { type: "decision.automatic"; alertname: string; decision: AlertDecision; rollbackId?: string }
  | { type: "agent.offline"; host: string; lastSeenAt: string; offlineMinutes: number; thresholdMinutes: number }
  | { type: "backup.stale"; host: string; backupId?: string; backupAt?: string; ageHours: number; thresholdHours: number };

export type NotifyEventType = NotifyEvent["type"];

export const notifyEventTypes = [
  "rollback.requested",
  "rollback.started",
  "rollback.step-failed",
  "rollback.succeeded",
  "rollback.failed",
  "rollback.undone",
  "rollback.lost",
  "decision.automatic",
  "agent.offline",
  "backup.stale",
] as const satisfies readonly NotifyEventType[];

export type Severity = "info" | "warning" | "critical";

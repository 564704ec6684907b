// When a running rollback counts as lost, and whether an admin may abandon one. Pure: a rollback
// whose agent acknowledged it and then never came back would otherwise stay `running` forever and
// block every later rollback of its host (operators: CONFLICT; alerts: IN_FLIGHT).
import type { ErrorCode } from "../../../../shared/errors.ts";
import type { RollbackRecord } from "../record.ts";

export interface LostBudget {
  /** The longest one step may run without a word from the agent (its longest bound: a pg tool run). */
  stepTimeoutMs: number;
  /** The watch window after `verify`, when the agent may stay quiet while it watches the services. */
  watchMs: number;
}

/** Last progress + the step's own timeout + the watch window; only running rollbacks have one. */
export function lostDeadline(rollback: RollbackRecord, budget: LostBudget): number | undefined {
  if (rollback.state !== "running") return undefined;
  const lastProgressAt = rollback.lastProgressAt ?? rollback.updatedAt;
  return lastProgressAt + budget.stepTimeoutMs + budget.watchMs;
}

export function lostOutcome(rollback: RollbackRecord, budget: LostBudget): { code: string; message: string } {
  const lastProgressAt = rollback.lastProgressAt ?? rollback.updatedAt;
  const silentS = Math.round((budget.stepTimeoutMs + budget.watchMs) / 1000);
  return {
    code: "LOST",
    message: `no word from the agent since ${new Date(lastProgressAt).toISOString()} (${silentS} s: a step's timeout plus the watch window); the host's state is unknown until its agent reports, check it before rolling back again`,
  };
}

export type AbandonDecision = { kind: "abandon" } | { kind: "refuse"; code: ErrorCode; message: string };

/** Only a running rollback is abandoned; one not started yet is cancelled instead. */
export function decideAbandon(rollback: RollbackRecord): AbandonDecision {
  if (rollback.state === "running") return { kind: "abandon" };
  if (rollback.state === "pending-approval" || rollback.state === "queued") {
    return { kind: "refuse", code: "CONFLICT", message: `rollback ${rollback.rollbackId} is ${rollback.state}, not running: cancel it instead` };
  }
  return { kind: "refuse", code: "CONFLICT", message: `rollback ${rollback.rollbackId} is already ${rollback.state}` };
}

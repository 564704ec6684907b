// When a running rollback counts as lost, and whether an admin may abandon one. Pure: a rollback
// whose agent acknowledged it and then never came back would otherwise stay `running` forever and
// block every later rollback of its host (operators: CONFLICT; alerts: IN_FLIGHT).
import type { ErrorCode } from "../../../../shared/errors.ts";
import type { Report } from "../../../../shared/schemas/report.ts";
import type { RollbackRecord } from "../record.ts";

/** The control plane's settings: the silence allowed when the agent did not say, and the most ever allowed. */
export interface LostBudget {
  /** The longest one step may run without a word from the agent (its longest bound: a pg tool run). */
  stepTimeoutMs: number;
  /** The watch window after `verify`, when the agent may stay quiet while it watches the services. */
  watchMs: number;
}

/** The record after a verified report about its command: when the agent was last heard, and the bound it gave. */
export function heardFrom(rollback: RollbackRecord, report: Report, now: number): RollbackRecord {
  const { bound: _earlier, ...rest } = rollback;
  const given =
    report.kind === "progress" && report.bound !== undefined
      ? { step: report.step, stepMs: report.bound.stepSeconds * 1000, watchMs: report.bound.watchSeconds * 1000 }
      : undefined;
  return { ...rest, lastProgressAt: now, ...(given === undefined ? {} : { bound: given }) };
}

/**
 * The silence allowed after the last report: the running step's own timeout and the agent's watch
 * window as its report gave them, each at most the settings' (a report without them: the settings').
 */
export function allowedSilence(rollback: RollbackRecord, budget: LostBudget): { stepMs: number; watchMs: number; step?: string; capped?: boolean } {
  const bound = rollback.bound;
  if (bound === undefined) return { stepMs: budget.stepTimeoutMs, watchMs: budget.watchMs };
  const capped = bound.stepMs > budget.stepTimeoutMs || bound.watchMs > budget.watchMs;
  return { step: bound.step, stepMs: Math.min(bound.stepMs, budget.stepTimeoutMs), watchMs: Math.min(bound.watchMs, budget.watchMs), capped };
}

/** Last progress + the step's own timeout + the watch window; only running rollbacks have one. */
export function lostDeadline(rollback: RollbackRecord, budget: LostBudget): number | undefined {
  if (rollback.state !== "running") return undefined;
  const lastProgressAt = rollback.lastProgressAt ?? rollback.updatedAt;
  const silence = allowedSilence(rollback, budget);
  return lastProgressAt + silence.stepMs + silence.watchMs;
}

export function lostOutcome(rollback: RollbackRecord, budget: LostBudget): { code: string; message: string } {
  const lastProgressAt = rollback.lastProgressAt ?? rollback.updatedAt;
  const silence = allowedSilence(rollback, budget);
  const silentS = Math.round((silence.stepMs + silence.watchMs) / 1000);
  const why =
    silence.step === undefined
      ? "a step's timeout plus the watch window"
      : `step ${silence.step}'s own timeout plus the watch window, as the agent reported them${silence.capped ? ", capped by the control plane's settings" : ""}`;
  return {
    code: "LOST",
    message: `no word from the agent since ${new Date(lastProgressAt).toISOString()} (${silentS} s: ${why}); the host's state is unknown until its agent reports, check it before rolling back again`,
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

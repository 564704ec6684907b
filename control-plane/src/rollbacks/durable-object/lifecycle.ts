// Rollback decisions as pure functions: what a report from the agent does to a rollback, whether a
// cancel or an approval is honoured.
import type { ErrorCode } from "../../../../shared/errors.ts";
import type { CommandState } from "../../../../shared/schemas/command.ts";
import type { Report } from "../../../../shared/schemas/report.ts";
import { isInFlightRollbackState, lastCancellableBefore, type RollbackState } from "../../../../shared/schemas/rollback-states.ts";
import type { RollbackRecord } from "../record.ts";

export interface ReportEffect {
  state?: RollbackState;
  servicesStopped?: boolean;
  downtimeMs?: number;
  outcome?: { code?: string; message?: string };
}

/** The engine's own final state, from the `report` a rollback handler puts in its result output. */
function engineState(output: Record<string, unknown> | undefined): { state?: string; downtimeMs?: number } {
  const report = output?.report;
  if (typeof report !== "object" || report === null) return {};
  const { state, downtimeMs } = report as { state?: unknown; downtimeMs?: unknown };
  return {
    ...(typeof state === "string" ? { state } : {}),
    ...(typeof downtimeMs === "number" && Number.isFinite(downtimeMs) ? { downtimeMs } : {}),
  };
}

const engineToRollback: Record<string, RollbackState> = {
  succeeded: "succeeded",
  failed: "failed",
  undone: "undone",
  cancelled: "cancelled",
  // The undo itself failed: the rollback failed, and the outcome's code says how.
  "undo-failed": "failed",
};

/** What one verified report about the rollback's command changes. Final states never change again. */
export function effectOfReport(rollback: RollbackRecord, report: Report): ReportEffect {
  // A lost rollback's agent came back after all: its result says what really happened on the host.
  const lateResult = rollback.state === "lost" && report.kind === "result";
  if (!isInFlightRollbackState(rollback.state) && !lateResult) return {};
  switch (report.kind) {
    case "ack":
      return rollback.state === "queued" ? { state: "running" } : {};
    case "progress": {
      const stopped = report.step === lastCancellableBefore && report.state !== "pending" && report.state !== "skipped";
      const started = rollback.state === "queued" ? { state: "running" as const } : {};
      return { ...started, ...(stopped && !rollback.servicesStopped ? { servicesStopped: true } : {}) };
    }
    case "result": {
      const engine = engineState(report.output);
      // Without an engine report the handler never ran the engine: a cancel that overtook it, or a refusal.
      const ended = engine.state ?? (report.code === "CANCELLED" ? "cancelled" : undefined);
      const state = report.ok ? "succeeded" : ((ended === undefined ? undefined : engineToRollback[ended]) ?? "failed");
      return {
        state,
        ...(engine.downtimeMs === undefined ? {} : { downtimeMs: engine.downtimeMs }),
        ...(report.ok ? {} : { outcome: { ...(report.code ? { code: report.code } : {}), ...(report.message ? { message: report.message } : {}) } }),
      };
    }
    case "rejected":
      return { state: "failed", outcome: { code: report.code, message: `the agent refused the command: ${report.reason}` } };
    case "manifest":
    case "state":
      return {};
  }
}

/** A rollback whose command expired before the agent took it never ran. */
export function effectOfCommandState(rollback: RollbackRecord, command: CommandState): ReportEffect {
  if (!isInFlightRollbackState(rollback.state)) return {};
  if (command === "expired") {
    return { state: "expired", outcome: { code: "EXPIRED", message: "the agent did not pick the rollback up before its command expired" } };
  }
  return {};
}

export type CancelDecision =
  | { kind: "cancel-now" }
  | { kind: "withdraw-command"; commandId: string }
  | { kind: "ask-agent"; commandId: string }
  | { kind: "refuse"; code: ErrorCode; message: string };

export function decideCancel(rollback: RollbackRecord, command: CommandState | undefined): CancelDecision {
  if (!isInFlightRollbackState(rollback.state)) {
    return { kind: "refuse", code: "CONFLICT", message: `rollback ${rollback.rollbackId} is already ${rollback.state}` };
  }
  if (rollback.servicesStopped) {
    return { kind: "refuse", code: "CONFLICT", message: "services are already stopped; the rollback will finish or undo itself" };
  }
  if (rollback.state === "pending-approval" || rollback.commandId === undefined) return { kind: "cancel-now" };
  // Refused LOCKED and waiting to be sent again: no command of it is out.
  if (rollback.lockedWait?.retryAt !== undefined) return { kind: "cancel-now" };
  // Never sent: it can simply be withdrawn. Sent: only the agent can stop it, before stop-services.
  if (command === "queued") return { kind: "withdraw-command", commandId: rollback.commandId };
  if (rollback.cancelCommandId !== undefined) {
    return { kind: "refuse", code: "CONFLICT", message: `cancelling rollback ${rollback.rollbackId} was already requested` };
  }
  return { kind: "ask-agent", commandId: rollback.commandId };
}

export type ApprovalDecision = { kind: "record"; complete: boolean } | { kind: "refuse"; code: ErrorCode; message: string };

export function decideApproval(rollback: RollbackRecord, approverTokenId: string, now: number): ApprovalDecision {
  if (rollback.state !== "pending-approval") {
    const why = rollback.outcome?.message === undefined ? "" : `: ${rollback.outcome.message}`;
    return { kind: "refuse", code: "CONFLICT", message: `rollback ${rollback.rollbackId} is ${rollback.state}, not waiting for approval${why}` };
  }
  if (rollback.expiresAt !== undefined && rollback.expiresAt <= now) {
    return { kind: "refuse", code: "CONFLICT", message: `rollback ${rollback.rollbackId} waited too long for approval and expired` };
  }
  if (rollback.requestedBy.kind === "token" && rollback.requestedBy.tokenId === approverTokenId) {
    return { kind: "refuse", code: "FORBIDDEN", message: "the requester cannot approve their own rollback: a second operator must" };
  }
  if (rollback.approvals.some((approval) => approval.tokenId === approverTokenId)) {
    return { kind: "refuse", code: "CONFLICT", message: `token ${approverTokenId} already approved rollback ${rollback.rollbackId}` };
  }
  return { kind: "record", complete: rollback.approvals.length + 1 >= rollback.approvalsRequired };
}

/** Why a request waiting for approval is cancelled without anyone cancelling it, and what its audit entry adds. */
export interface WaitingEnd {
  outcome: { code: string; message: string };
  details: Record<string, unknown>;
}

/** The token that made the request was revoked: the request goes with it. */
export function revokedRequester(tokenId: string): (rollback: RollbackRecord) => WaitingEnd | undefined {
  return (rollback) =>
    rollback.requestedBy.kind === "token" && rollback.requestedBy.tokenId === tokenId
      ? { outcome: { code: "TOKEN_REVOKED", message: `the token ${tokenId} that requested it was revoked` }, details: { tokenRevoked: tokenId } }
      : undefined;
}

/** The host was retired: nothing of it may run any more. */
export function retiredHost(rollback: RollbackRecord): WaitingEnd {
  return { outcome: { code: "HOST_RETIRED", message: `host ${rollback.host} was retired` }, details: { hostRetired: true } };
}

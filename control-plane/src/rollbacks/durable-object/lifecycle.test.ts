import { describe, expect, it } from "vitest";
import type { Report } from "../../../../shared/schemas/report.ts";
import { decideApproval, decideCancel, effectOfCommandState, effectOfReport, retiredHost, revokedRequester } from "./lifecycle.ts";
import type { RollbackRecord } from "../record.ts";
import { foldSteps } from "../worker/steps.ts";

const commandId = "cmd-00000001";
const base: RollbackRecord = {
  rollbackId: "rb-00000001",
  host: "web-1",
  backupId: "bk-00000001",
  mode: "full",
  reason: "v2 is failing",
  state: "queued",
  requestedBy: { kind: "token", tokenId: "op-alice", role: "operator" },
  automatic: false,
  commandId,
  approvalsRequired: 1,
  approvals: [],
  servicesStopped: false,
  createdAt: 1,
  updatedAt: 1,
};
const at = (patch: Partial<RollbackRecord>): RollbackRecord => ({ ...base, ...patch });
const result = (ok: boolean, engine?: Record<string, unknown>): Report => ({
  kind: "result",
  commandId,
  ok,
  ...(ok ? {} : { code: "STEP_FAILED", message: "verify: backend unhealthy" }),
  ...(engine === undefined ? {} : { output: { report: engine } }),
});

describe("what an agent report does to a rollback", () => {
  it("starts running on the ack or the first progress", () => {
    expect(effectOfReport(base, { kind: "ack", commandId })).toEqual({ state: "running" });
    expect(effectOfReport(base, { kind: "progress", commandId, step: "preflight", state: "running" })).toEqual({ state: "running" });
    expect(effectOfReport(at({ state: "running" }), { kind: "ack", commandId })).toEqual({});
  });

  it("notes when services start stopping, so cancelling is refused from then on", () => {
    const running = at({ state: "running" });
    expect(effectOfReport(running, { kind: "progress", commandId, step: "stop-services", state: "running" })).toEqual({ servicesStopped: true });
    expect(effectOfReport(running, { kind: "progress", commandId, step: "stage", state: "running" })).toEqual({});
  });

  it.each([
    [true, { state: "succeeded", downtimeMs: 5200 }, "succeeded"],
    [false, { state: "undone" }, "undone"],
    [false, { state: "cancelled" }, "cancelled"],
    [false, { state: "undo-failed" }, "failed"],
    [false, undefined, "failed"],
  ])("a result ok=%s with engine report %j ends %s", (ok, engine, state) => {
    expect(effectOfReport(at({ state: "running" }), result(ok, engine)).state).toBe(state);
  });

  it("ends cancelled when the agent cancelled the command before the engine started", () => {
    const report: Report = { kind: "result", commandId, ok: false, code: "CANCELLED", message: "cancelled before it started" };
    expect(effectOfReport(base, report).state).toBe("cancelled");
  });

  it("keeps the downtime and the failure's code", () => {
    expect(effectOfReport(base, result(true, { state: "succeeded", downtimeMs: 5200 }))).toEqual({ state: "succeeded", downtimeMs: 5200 });
    expect(effectOfReport(base, result(false, { state: "undone" })).outcome).toEqual({ code: "STEP_FAILED", message: "verify: backend unhealthy" });
  });

  it("fails on a refusal and expires when the command expired unclaimed", () => {
    const rejected: Report = { kind: "rejected", commandId, code: "LOCKED", reason: "backup running" };
    expect(effectOfReport(base, rejected)).toMatchObject({ state: "failed", outcome: { code: "LOCKED" } });
    expect(effectOfCommandState(base, "expired").state).toBe("expired");
    expect(effectOfCommandState(base, "delivered")).toEqual({});
  });

  it("never moves a finished rollback", () => {
    expect(effectOfReport(at({ state: "succeeded" }), result(false))).toEqual({});
    expect(effectOfCommandState(at({ state: "cancelled" }), "expired")).toEqual({});
  });
});

describe("cancelling", () => {
  it("is immediate while waiting for approval or before the command was sent", () => {
    expect(decideCancel(at({ state: "pending-approval" }), undefined)).toEqual({ kind: "cancel-now" });
    expect(decideCancel(base, "queued")).toEqual({ kind: "withdraw-command", commandId });
  });

  it("asks the agent once the command is on the host, until services stop", () => {
    expect(decideCancel(base, "delivered")).toEqual({ kind: "ask-agent", commandId });
    expect(decideCancel(at({ state: "running" }), "running")).toEqual({ kind: "ask-agent", commandId });
    expect(decideCancel(at({ state: "running", servicesStopped: true }), "running")).toEqual({
      kind: "refuse",
      code: "CONFLICT",
      message: "services are already stopped; the rollback will finish or undo itself",
    });
  });

  it("is refused for a finished rollback or a second time", () => {
    expect(decideCancel(at({ state: "failed" }), "failed")).toMatchObject({ kind: "refuse", code: "CONFLICT" });
    expect(decideCancel(at({ state: "running", cancelCommandId: "cmd-cancel1" }), "running")).toMatchObject({ kind: "refuse", code: "CONFLICT" });
  });
});

describe("approving", () => {
  const pending = at({ state: "pending-approval", approvalsRequired: 2, expiresAt: 1_000 });

  it("refuses the requester and a repeat approver, completes at the required count", () => {
    expect(decideApproval(pending, "op-alice", 10)).toMatchObject({ kind: "refuse", code: "FORBIDDEN" });
    expect(decideApproval(pending, "op-bob", 10)).toEqual({ kind: "record", complete: false });
    const once = { ...pending, approvals: [{ tokenId: "op-bob", at: 10 }] };
    expect(decideApproval(once, "op-bob", 20)).toMatchObject({ kind: "refuse", code: "CONFLICT" });
    expect(decideApproval(once, "op-carol", 20)).toEqual({ kind: "record", complete: true });
  });

  it("refuses once expired or no longer pending", () => {
    expect(decideApproval(pending, "op-bob", 1_000)).toMatchObject({ kind: "refuse", code: "CONFLICT" });
    expect(decideApproval(base, "op-bob", 10)).toMatchObject({ kind: "refuse", code: "CONFLICT" });
  });
});

describe("requests ended without a cancel", () => {
  it("picks only the revoked token's own requests, and says why to whoever tries to approve one", () => {
    const pending = at({ state: "pending-approval" });
    expect(revokedRequester("op-bob")(pending)).toBeUndefined();
    expect(revokedRequester("op-bob")(at({ state: "pending-approval", requestedBy: { kind: "host", host: "web-1" } }))).toBeUndefined();
    const end = revokedRequester("op-alice")(pending);
    expect(end?.outcome.code).toBe("TOKEN_REVOKED");
    const cancelled = at({ state: "cancelled", ...(end === undefined ? {} : { outcome: end.outcome }) });
    expect(decideApproval(cancelled, "op-bob", 10)).toEqual({
      kind: "refuse",
      code: "CONFLICT",
      message: "rollback rb-00000001 is cancelled, not waiting for approval: the token op-alice that requested it was revoked",
    });
    expect(retiredHost(pending).outcome).toEqual({ code: "HOST_RETIRED", message: "host web-1 was retired" });
  });
});

describe("steps from progress reports", () => {
  it("keeps a finished step finished when a stale running report arrives after it", () => {
    const steps = foldSteps([
      { step: "load-backup", state: "running", startedAt: "2026-01-01T00:00:01.000Z" },
      { step: "load-backup", state: "succeeded", startedAt: "2026-01-01T00:00:01.000Z", durationMs: 40 },
      { step: "load-backup", state: "running", message: "reading manifest" },
    ]);
    expect(steps).toEqual([{ step: "load-backup", state: "succeeded", startedAt: "2026-01-01T00:00:01.000Z", durationMs: 40 }]);
  });

  it("keeps one line per step with its start, duration and latest message", () => {
    const steps = foldSteps([
      { step: "preflight", state: "running", startedAt: "2026-01-01T00:00:00.000Z" },
      { step: "preflight", state: "running", message: "disk ok" },
      { step: "preflight", state: "succeeded", startedAt: "2026-01-01T00:00:00.000Z", durationMs: 120 },
      { step: "load-backup", state: "running", startedAt: "2026-01-01T00:00:01.000Z" },
    ]);
    expect(steps).toEqual([
      { step: "preflight", state: "succeeded", startedAt: "2026-01-01T00:00:00.000Z", durationMs: 120, message: "disk ok" },
      { step: "load-backup", state: "running", startedAt: "2026-01-01T00:00:01.000Z" },
    ]);
  });
});

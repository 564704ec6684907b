import { describe, expect, it } from "vitest";
import { reportedStepId, type ReportedStepId } from "../../../shared/schemas/rollback.ts";
import type { RollbackRecord } from "../rollbacks/record.ts";
import { firstFailedStep, transitionEvents } from "./wiring-events.ts";

const record: RollbackRecord = {
  rollbackId: "rb_0000000001",
  host: "app-1",
  backupId: "bk_0000000001",
  mode: "full",
  reason: "v2 health checks failing",
  state: "queued",
  requestedBy: { kind: "token", tokenId: "tok_operator1", role: "operator" },
  automatic: false,
  approvalsRequired: 0,
  approvals: [],
  servicesStopped: false,
  createdAt: Date.parse("2026-11-25T12:00:00Z"),
  updatedAt: Date.parse("2026-11-25T12:02:14Z"),
};
const isStep = (step: string): step is ReportedStepId => reportedStepId.safeParse(step).success;

describe("notifications of a rollback's transitions", () => {
  it.each([
    [undefined, "queued", ["rollback.requested"]],
    [undefined, "pending-approval", ["rollback.requested"]],
    ["queued", "running", ["rollback.started"]],
    ["running", "succeeded", ["rollback.succeeded"]],
    ["running", "failed", ["rollback.failed"]],
    ["running", "undone", ["rollback.undone"]],
    ["pending-approval", "queued", []],
    ["queued", "cancelled", []],
    ["queued", "expired", []],
    ["running", "lost", ["rollback.lost"]],
  ] as const)("%s → %s publishes %j", (from, to, events) => {
    expect(transitionEvents({ ...record, state: to }, from, to).map((event) => event.type)).toEqual(events);
  });

  it("names who asked, and that a policy did when it was automatic", () => {
    expect(transitionEvents(record, undefined, "queued")[0]).toMatchObject({
      requestedBy: "tok_operator1",
      reason: "v2 health checks failing",
      backupId: "bk_0000000001",
    });
    const automatic = {
      ...record,
      automatic: true,
      source: "alertmanager",
      requestedBy: { kind: "token" as const, tokenId: "tok_am", role: "alert-source" as const },
    };
    expect(transitionEvents(automatic, undefined, "queued")[0]).toMatchObject({ requestedBy: "tok_am (automatic, alertmanager)" });
  });

  it("reports the duration from request to success", () => {
    expect(transitionEvents(record, "running", "succeeded")[0]).toMatchObject({ durationMs: 134_000 });
  });

  it("adds the failing step before a failure or an undo, with the engine's code", () => {
    const failed = { ...record, state: "undone" as const, outcome: { code: "STEP_FAILED", message: "services not healthy after 60 s" } };
    const step = { step: "verify" as const, message: "backend unhealthy" };
    expect(transitionEvents(failed, "running", "undone", step)).toEqual([
      { type: "rollback.step-failed", host: "app-1", rollbackId: "rb_0000000001", step: "verify", message: "backend unhealthy" },
      { type: "rollback.undone", host: "app-1", rollbackId: "rb_0000000001", step: "verify", message: "services not healthy after 60 s" },
    ]);
    expect(transitionEvents(failed, "running", "failed", step)[1]).toMatchObject({ type: "rollback.failed", code: "STEP_FAILED" });
  });

  it("finds the first failed forward step in the agent's reports, not the undo", () => {
    const reports = [
      { kind: "ack" },
      { kind: "progress", step: "stop-services", state: "succeeded" },
      { kind: "progress", step: "start", state: "failed", message: "backend would not start" },
      { kind: "progress", step: "undo", state: "failed", message: "undo failed too" },
    ];
    expect(firstFailedStep(reports, isStep)).toEqual({ step: "start", message: "backend would not start" });
    expect(firstFailedStep([{ kind: "progress", step: "undo", state: "failed" }], isStep)).toBeUndefined();
  });
});

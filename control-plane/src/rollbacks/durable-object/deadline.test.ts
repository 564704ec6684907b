import { describe, expect, it } from "vitest";
import { decideAbandon, heardFrom, lostDeadline, lostOutcome } from "./deadline.ts";
import { effectOfReport } from "./lifecycle.ts";
import type { RollbackRecord } from "../record.ts";

const running: RollbackRecord = {
  rollbackId: "rb-00000001",
  host: "web-1",
  backupId: "bk-00000001",
  mode: "full",
  reason: "v2 is failing",
  state: "running",
  requestedBy: { kind: "token", tokenId: "op-alice", role: "operator" },
  automatic: false,
  commandId: "cmd-00000001",
  approvalsRequired: 0,
  approvals: [],
  servicesStopped: true,
  createdAt: 1_000,
  updatedAt: 2_000,
};
const budget = { stepTimeoutMs: 60_000, watchMs: 30_000 };

describe("a running rollback's lost deadline", () => {
  it("is the last progress plus a step's timeout plus the watch window", () => {
    expect(lostDeadline({ ...running, lastProgressAt: 5_000 }, budget)).toBe(95_000);
    expect(lostDeadline(running, budget)).toBe(92_000);
  });

  it("follows the step's own timeout and watch window from the agent's last report, well before the settings", () => {
    const stage = heardFrom(
      running,
      { kind: "progress", commandId: "cmd-00000001", step: "stage", state: "running", bound: { stepSeconds: 20, watchSeconds: 5 } },
      10_000,
    );
    expect(stage.bound).toEqual({ step: "stage", stepMs: 20_000, watchMs: 5_000 });
    expect(lostDeadline(stage, budget)).toBe(10_000 + 20_000 + 5_000);
    expect(lostOutcome(stage, budget).message).toContain("(25 s: step stage's own timeout plus the watch window, as the agent reported them)");
  });

  it("never goes past the settings, which alone apply to a report without a bound (older agents, an ack)", () => {
    const long = heardFrom(
      running,
      { kind: "progress", commandId: "cmd-00000001", step: "stage", state: "running", bound: { stepSeconds: 86_400, watchSeconds: 3_600 } },
      10_000,
    );
    expect(lostDeadline(long, budget)).toBe(10_000 + 60_000 + 30_000);
    expect(lostOutcome(long, budget).message).toContain(
      "(90 s: step stage's own timeout plus the watch window, as the agent reported them, capped by the control plane's settings)",
    );
    const oldAgent = heardFrom(long, { kind: "progress", commandId: "cmd-00000001", step: "swap", state: "running" }, 50_000);
    expect(oldAgent.bound).toBeUndefined();
    expect(lostDeadline(oldAgent, budget)).toBe(50_000 + 60_000 + 30_000);
    expect(lostOutcome(oldAgent, budget).message).toContain("(90 s: a step's timeout plus the watch window)");
    expect(heardFrom(long, { kind: "ack", commandId: "cmd-00000001" }, 50_000).bound).toBeUndefined();
  });

  it("exists only while running", () => {
    expect(lostDeadline({ ...running, state: "queued" }, budget)).toBeUndefined();
    expect(lostDeadline({ ...running, state: "lost" }, budget)).toBeUndefined();
  });

  it("lets a late result from the agent end a lost rollback, and nothing else move it", () => {
    const lost = { ...running, state: "lost" as const };
    expect(effectOfReport(lost, { kind: "result", commandId: "cmd-00000001", ok: true }).state).toBe("succeeded");
    expect(effectOfReport(lost, { kind: "progress", commandId: "cmd-00000001", step: "start", state: "running" })).toEqual({});
  });
});

describe("abandoning", () => {
  it("takes only a running rollback", () => {
    expect(decideAbandon(running)).toEqual({ kind: "abandon" });
    expect(decideAbandon({ ...running, state: "queued" })).toMatchObject({
      kind: "refuse",
      code: "CONFLICT",
      message: expect.stringContaining("cancel it instead"),
    });
    expect(decideAbandon({ ...running, state: "lost" })).toMatchObject({ kind: "refuse", code: "CONFLICT" });
  });
});

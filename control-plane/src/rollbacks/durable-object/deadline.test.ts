import { describe, expect, it } from "vitest";
import { decideAbandon, lostDeadline } from "./deadline.ts";
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

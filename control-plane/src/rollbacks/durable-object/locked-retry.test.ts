import { describe, expect, it } from "vitest";
import { decideCancel } from "./lifecycle.ts";
import { decideLockedRetry, lockedRetryEveryMs, lockedWaitAfter } from "./locked-retry.ts";
import type { RollbackRecord } from "../record.ts";

const queued: RollbackRecord = {
  rollbackId: "rb-00000001",
  host: "web-1",
  backupId: "bk-00000001",
  mode: "full",
  reason: "HighErrorRate",
  state: "queued",
  requestedBy: { kind: "token", tokenId: "am-1", role: "alert-source" },
  automatic: true,
  commandId: "cmd-00000001",
  approvalsRequired: 0,
  approvals: [],
  servicesStopped: false,
  createdAt: 0,
  updatedAt: 0,
};
const validUntil = 900_000;
const waiting = (now: number): RollbackRecord => ({ ...queued, lockedWait: lockedWaitAfter(queued, "backup cmd-2 is still running", now, validUntil) });

describe("a rollback refused LOCKED", () => {
  it("keeps the first command's validity and counts its tries", () => {
    const first = waiting(1_000);
    expect(first.lockedWait).toEqual({ reason: "backup cmd-2 is still running", retryAt: 1_000 + lockedRetryEveryMs, validUntil, attempts: 1 });
    const second = lockedWaitAfter(first, "still busy", 50_000, 999_999_999);
    expect(second).toMatchObject({ validUntil, attempts: 2 });
  });

  it("is sent again when the host finished a command, or at the next try, with what is left of its validity", () => {
    const record = waiting(1_000);
    expect(decideLockedRetry(record, 2_000, false)).toEqual({ kind: "wait" });
    expect(decideLockedRetry(record, 2_000, true)).toEqual({ kind: "resend", ttlSeconds: 898 });
    expect(decideLockedRetry(record, 1_000 + lockedRetryEveryMs, false)).toEqual({ kind: "resend", ttlSeconds: 884 });
  });

  it("fails LOCKED once its validity is (nearly) over", () => {
    expect(decideLockedRetry(waiting(1_000), validUntil - 5_000, true)).toMatchObject({ kind: "give-up", outcome: { code: "LOCKED" } });
  });

  it("is not sent twice while a resent command is out, and nothing else is retried", () => {
    const out = { reason: "backup cmd-2 is still running", validUntil, attempts: 1 };
    expect(decideLockedRetry({ ...queued, lockedWait: out }, 800_000, true)).toEqual({ kind: "wait" });
    expect(decideLockedRetry(queued, 2_000, true)).toEqual({ kind: "wait" });
    expect(decideLockedRetry({ ...waiting(1_000), state: "running" }, 2_000, true)).toEqual({ kind: "wait" });
  });

  it("is cancelled at once while it waits: no command of it is out", () => {
    expect(decideCancel(waiting(1_000), "rejected")).toEqual({ kind: "cancel-now" });
  });
});

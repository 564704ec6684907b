import { describe, expect, it } from "vitest";
import { statusBlock, statusFooter } from "./format.ts";
import type { RollbackDetail } from "../../../../shared/schemas/api.ts";

const detail: RollbackDetail = {
  rollbackId: "rb-00000001",
  host: "web-1",
  backupId: "pre-deployment-20260101_120000",
  mode: "full",
  state: "running",
  reason: "v2 failing",
  requestedBy: "op-alice",
  automatic: false,
  source: "operator",
  createdAt: "2026-01-01T12:00:00.000Z",
  updatedAt: "2026-01-01T12:00:05.000Z",
  commandId: "cmd-00000001",
  approvalsRequired: 0,
  approvals: [],
  steps: [
    { step: "preflight", state: "succeeded", durationMs: 1234, message: "disk ok" },
    { step: "stage", state: "running" },
  ],
};

describe("rewind status output", () => {
  it("shows the rollback, then its steps, then the outcome", () => {
    const block = statusBlock(detail);
    expect(block.split("\n")[0]).toBe("rollback rb-00000001 on web-1: running");
    expect(block).toContain("✓ preflight");
    expect(statusBlock({ ...detail, steps: [] })).toContain("(waiting for the agent)");
    expect(statusBlock({ ...detail, state: "pending-approval", approvalsRequired: 1, approvals: [] })).toContain("rewind approve rb-00000001");
    expect(statusFooter({ ...detail, state: "undone", downtimeMs: 65_000, outcome: { code: "STEP_FAILED", message: "verify failed" } })).toBe(
      "downtime: 1 min 05 s\nSTEP_FAILED: verify failed\nfinal state: undone\n",
    );
  });
});

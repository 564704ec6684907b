import { describe, expect, it } from "vitest";
import { planRollback } from "./plan.ts";

describe("planRollback", () => {
  it("runs all nine steps for a full rollback, undoing from stop-services on", () => {
    const plan = planRollback({ mode: "full", dryRun: false });
    expect(plan.map((s) => s.id)).toEqual(["preflight", "load-backup", "document-state", "stage", "stop-services", "swap", "revert-code", "start", "verify"]);
    expect(plan.filter((s) => s.needsUndoOnFailure).map((s) => s.id)).toEqual(["stop-services", "swap", "revert-code", "start", "verify"]);
  });

  it("leaves data alone in code-only mode", () => {
    const ids = planRollback({ mode: "code-only", dryRun: false }).map((s) => s.id);
    expect(ids).not.toContain("stage");
    expect(ids).not.toContain("swap");
    expect(ids).toContain("revert-code");
  });

  it("only checks in a dry run", () => {
    expect(planRollback({ mode: "full", dryRun: true }).map((s) => s.id)).toEqual(["preflight", "load-backup"]);
  });
});

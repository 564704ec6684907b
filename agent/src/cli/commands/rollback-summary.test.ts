import { describe, expect, it } from "vitest";
import type { RollbackReport } from "../../rollback/report.ts";
import { rollbackSummary } from "./rollback-summary.ts";

const base: RollbackReport = {
  rollbackId: "rb-1",
  state: "succeeded",
  mode: "full",
  dryRun: false,
  reason: "bad deploy",
  startedAt: "2026-12-03T12:00:00Z",
  steps: [],
  logExcerpts: {},
};

describe("rollbackSummary", () => {
  it("names the images the rollback holds, the older holds it released and those a container still uses", () => {
    const { stdout, stderr } = rollbackSummary({
      ...base,
      setAside: { database: "app__rewind_pre_rb1" },
      heldImages: ["rewind-keep/shop/web:before-rb1"],
      releasedImages: ["rewind-keep/shop/web:before-rb0"],
      heldImagesInUse: ["rewind-keep/shop/db:before-rb0"],
    });
    expect(stdout).toBe(
      [
        "rollback rb-1: succeeded",
        "pre-rollback database kept as app__rewind_pre_rb1",
        "pre-rollback images held as rewind-keep/shop/web:before-rb1",
        "older rollbacks' image holds released: rewind-keep/shop/web:before-rb0",
        "image holds kept, a container still uses them: rewind-keep/shop/db:before-rb0",
        "",
      ].join("\n"),
    );
    expect(stderr).toBe("");
  });

  it("says nothing of holds when there are none, and puts the error on stderr", () => {
    const { stdout, stderr } = rollbackSummary({
      ...base,
      state: "undone",
      releasedImages: [],
      error: { step: "verify", code: "STEP_FAILED", message: "smoke check failed" },
    });
    expect(stdout).toBe("rollback rb-1: undone\n");
    expect(stderr).toBe("rewind: STEP_FAILED: smoke check failed (in step verify)\n");
  });

  it("puts every retention failure on stderr, one line each, after a rollback that succeeded", () => {
    const { stdout, stderr } = rollbackSummary({
      ...base,
      retentionError: "pruning older rollbacks' set-aside data copies failed (connection refused)\nreleasing older rollbacks' image holds failed (no engine)",
    });
    expect(stdout).toBe("rollback rb-1: succeeded\n");
    expect(stderr).toBe(
      "rewind: retention: pruning older rollbacks' set-aside data copies failed (connection refused)\n" +
        "rewind: retention: releasing older rollbacks' image holds failed (no engine)\n",
    );
  });
});

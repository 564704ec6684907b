import { describe, expect, it } from "vitest";
import { planRetention } from "./retention-plan.ts";

const names = ["pre-deployment-20241130_143022", "pre-deployment-20241201_090000", "pre-deployment-20241202_120000", "pre-deployment-20241203_080000"];

describe("planRetention", () => {
  it("keeps the newest N by timestamp, whatever order the directory listed them in", () => {
    const plan = planRetention([...names].reverse(), 2, { kind: "none" });
    expect(plan.keep).toEqual(["pre-deployment-20241203_080000", "pre-deployment-20241202_120000"]);
    expect(plan.remove).toEqual(["pre-deployment-20241201_090000", "pre-deployment-20241130_143022"]);
    expect(plan.notes).toEqual([]);
  });

  it("never removes the backup a rollback is using, and says why it stayed", () => {
    const plan = planRetention(names, 2, { kind: "backup", name: "pre-deployment-20241130_143022", rollbackId: "rb-1234567" });
    expect(plan.remove).toEqual(["pre-deployment-20241201_090000"]);
    expect(plan.keep).toContain("pre-deployment-20241130_143022");
    expect(plan.notes[0]).toContain("rb-1234567");
  });

  it("removes nothing while a rollback runs on a backup it cannot identify", () => {
    const plan = planRetention(names, 1, { kind: "unknown", reason: "the lock names no backup" });
    expect(plan.remove).toEqual([]);
    expect(plan.keep).toHaveLength(4);
    expect(plan.notes[0]).toContain("the lock names no backup");
  });

  it("has nothing to do with fewer backups than the limit", () => {
    expect(planRetention(names.slice(0, 2), 5, { kind: "unknown", reason: "x" })).toEqual({
      keep: [names[1], names[0]],
      remove: [],
      notes: [],
    });
  });

  it("refuses a limit below one: the newest backup is always kept", () => {
    expect(() => planRetention(names, 0, { kind: "none" })).toThrow(TypeError);
  });
});

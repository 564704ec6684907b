import { describe, expect, it } from "vitest";
import { type BackupEntry, planRetention } from "./retention-plan.ts";

const at = (iso: string): number => Date.parse(iso);
const backups: BackupEntry[] = [
  { name: "pre-deployment-20241130_143022", createdAt: at("2024-11-30T14:30:22Z") },
  { name: "pre-deployment-20241201_090000", createdAt: at("2024-12-01T09:00:00Z") },
  { name: "pre-deployment-20241202_120000", createdAt: at("2024-12-02T12:00:00Z") },
  { name: "pre-deployment-20241203_080000", createdAt: at("2024-12-03T08:00:00Z") },
];

describe("planRetention", () => {
  it("keeps the newest N by creation time, whatever order the directory listed them in", () => {
    const plan = planRetention([...backups].reverse(), 2, { kind: "none" });
    expect(plan.keep).toEqual(["pre-deployment-20241203_080000", "pre-deployment-20241202_120000"]);
    expect(plan.remove).toEqual(["pre-deployment-20241201_090000", "pre-deployment-20241130_143022"]);
    expect(plan.notes).toEqual([]);
  });

  it("orders by creation time, not by name: a seed backup named in local time (UTC-5) does not push out the one just taken", () => {
    // The seed named its backup at 14:00 local (19:00 UTC); Rewind's, taken at 18:00 UTC, is older.
    const seed = { name: "pre-deployment-20241205_140000", createdAt: at("2024-12-05T19:00:00Z") };
    const justTaken = { name: "pre-deployment-20241205_193000", createdAt: at("2024-12-05T19:30:00Z") };
    const olderRewind = { name: "pre-deployment-20241205_180000", createdAt: at("2024-12-05T18:00:00Z") };
    const plan = planRetention([seed, justTaken, olderRewind], 2, { kind: "none" });
    expect(plan.keep).toEqual([justTaken.name, seed.name]);
    expect(plan.remove).toEqual([olderRewind.name]);
  });

  it("never removes the backup a rollback is using, and says why it stayed", () => {
    const plan = planRetention(backups, 2, { kind: "backup", name: "pre-deployment-20241130_143022", rollbackId: "rb-1234567" });
    expect(plan.remove).toEqual(["pre-deployment-20241201_090000"]);
    expect(plan.keep).toContain("pre-deployment-20241130_143022");
    expect(plan.notes[0]).toContain("rb-1234567");
  });

  it("never removes the backup .last-deployment-backup names, and says why it stayed", () => {
    const plan = planRetention(backups, 1, { kind: "none" }, "pre-deployment-20241201_090000");
    expect(plan.keep).toEqual(["pre-deployment-20241203_080000", "pre-deployment-20241201_090000"]);
    expect(plan.remove).toEqual(["pre-deployment-20241202_120000", "pre-deployment-20241130_143022"]);
    expect(plan.notes).toEqual(["pre-deployment-20241201_090000 kept beyond the newest 1: .last-deployment-backup names it"]);
  });

  it("removes nothing while a rollback runs on a backup it cannot identify", () => {
    const plan = planRetention(backups, 1, { kind: "unknown", reason: "the lock names no backup" });
    expect(plan.remove).toEqual([]);
    expect(plan.keep).toHaveLength(4);
    expect(plan.notes[0]).toContain("the lock names no backup");
  });

  it("has nothing to do with fewer backups than the limit", () => {
    expect(planRetention(backups.slice(0, 2), 5, { kind: "unknown", reason: "x" })).toEqual({
      keep: [backups[1]?.name, backups[0]?.name],
      remove: [],
      notes: [],
    });
  });

  it("refuses a limit below one: the newest backup is always kept", () => {
    expect(() => planRetention(backups, 0, { kind: "none" })).toThrow(TypeError);
  });
});

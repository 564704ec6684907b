import { describe, expect, it } from "vitest";
import { setAsideDirOf } from "../host/set-aside-dir.ts";
import { swapPaths } from "../host/volume.ts";
import { dataDirNames, setAsideDataDir, setAsideDatabase, setAsidePostDataDir, setAsidePostDatabase, shortId, stagedDataDir } from "./names.ts";
import { type DatedRollback, planSetAsidePrune, type SetAsideCopy, setAsideDatabaseId, setAsideDirId } from "./retention.ts";

const day = 24 * 3600 * 1000;
const now = Date.parse("2026-12-03T06:00:00Z");

function rollback(id: string, ageDays: number): DatedRollback {
  return { rollbackId: id, shortId: shortId(id), at: now - ageDays * day };
}

function copiesOf(id: string): SetAsideCopy[] {
  return [
    { kind: "database", location: setAsideDatabase("schedgen", id), shortId: shortId(id) },
    { kind: "minio", location: `/var/lib/docker/rewind-set-aside/vol/${setAsideDataDir(id)}`, shortId: shortId(id) },
  ];
}

describe("planSetAsidePrune", () => {
  const policy = { keep: 1, minAgeMs: 7 * day, now };

  it("keeps every copy younger than the minimum age, whatever the count", () => {
    const rollbacks = [rollback("rb-a", 1), rollback("rb-b", 2), rollback("rb-c", 3)];
    expect(planSetAsidePrune(["rb-a", "rb-b", "rb-c"].flatMap(copiesOf), rollbacks, policy)).toEqual([]);
  });

  it("removes copies past the minimum age beyond the newest N, the database and the MinIO directory alike", () => {
    const rollbacks = [rollback("rb-old", 30), rollback("rb-older", 40), rollback("rb-young", 2)];
    const removed = planSetAsidePrune(["rb-old", "rb-older", "rb-young"].flatMap(copiesOf), rollbacks, policy);
    expect(removed).toEqual(["rb-old", "rb-older"].flatMap(copiesOf));
  });

  it("keeps the newest N even when old, the current rollback's, and copies no report dates", () => {
    const rollbacks = [rollback("rb-old", 30), rollback("rb-older", 40), rollback("rb-current", 50)];
    const orphan: SetAsideCopy = { kind: "database", location: "schedgen__rewind_pre_orphan", shortId: "orphan" };
    const removed = planSetAsidePrune([...["rb-old", "rb-older", "rb-current"].flatMap(copiesOf), orphan], rollbacks, {
      ...policy,
      currentShortId: shortId("rb-current"),
    });
    expect(removed).toEqual(copiesOf("rb-older"));
  });

  it("refuses to keep no rollback at all", () => {
    expect(() => planSetAsidePrune([], [], { ...policy, keep: 0 })).toThrow(TypeError);
  });
});

describe("set-aside names", () => {
  it("recognise pre-rollback and post-undo copies, never staged ones or other databases", () => {
    expect(setAsideDatabaseId(setAsideDatabase("schedgen", "rb-12345678"), "schedgen")).toBe(shortId("rb-12345678"));
    expect(setAsideDatabaseId(setAsidePostDatabase("schedgen", "rb-abc123"), "schedgen")).toBe("rbabc123");
    expect(setAsideDatabaseId("schedgen__rewind_stage", "schedgen")).toBeUndefined();
    expect(setAsideDatabaseId("other__rewind_pre_abc123", "schedgen")).toBeUndefined();
    const long = "x".repeat(80);
    expect(setAsideDatabaseId(setAsideDatabase(long, "rb-12345678"), long)).toBe(shortId("rb-12345678"));
    expect(setAsideDirId(setAsideDataDir("rb-12345678"))).toBe(shortId("rb-12345678"));
    expect(setAsideDirId(setAsidePostDataDir("rb-abc123"))).toBe("rbabc123");
    expect(setAsideDirId(stagedDataDir("rb-12345678"))).toBeUndefined();
    expect(setAsideDirId("_data")).toBeUndefined();
  });

  it("put the MinIO set-aside copies outside the volume's directory, the staged one inside", () => {
    const paths = swapPaths("/var/lib/docker/volumes/app_minio/_data", dataDirNames("rb-12345678"));
    expect(paths).toEqual({
      live: "/var/lib/docker/volumes/app_minio/_data",
      staged: `/var/lib/docker/volumes/app_minio/${stagedDataDir("rb-12345678")}`,
      aside: `/var/lib/docker/rewind-set-aside/app_minio/${setAsideDataDir("rb-12345678")}`,
      post: `/var/lib/docker/rewind-set-aside/app_minio/${setAsidePostDataDir("rb-12345678")}`,
    });
    expect(() => setAsideDirOf("/mnt/elsewhere/data")).toThrow(expect.objectContaining({ code: "PRECONDITION_FAILED" }));
  });
});

// Rewind's own backups may use pg_dump's custom format: the stage step restores it with
// `pg_restore -j` into the side database, and preflight reads its table of contents and sha256
// first. Real PostgreSQL, Docker and git; the backup is taken by runBackup with format "custom".
import { createHash } from "node:crypto";
import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import type { BackupManifest } from "../../shared/schemas/manifest.ts";
import { containerStates, databaseNames, expectRefusedInPreflight, gitHeadOf, scenarioPerTest, snapshotDatabase } from "./rollback-fixture.ts";

const world = scenarioPerTest();

describe("a custom-format backup", () => {
  it("rolls back with the backup's rows and sequences, restored by pg_restore", async () => {
    const s = await world.prepare({ format: "custom" });
    expect(s.manifest.database).toMatchObject({ format: "custom", file: { path: expect.stringMatching(/^db_\d{8}_\d{6}\.dump$/) } });

    const report = await world.rollback(s, "custom");

    expect(report.error).toBeUndefined();
    expect(report.state).toBe("succeeded");
    expect(await snapshotDatabase(s.databaseUrl)).toEqual(s.v1.tables);
    expect(await snapshotDatabase(world.cluster.urlFor(report.setAside?.database ?? ""))).toEqual(s.v2.tables);
    expect(await gitHeadOf(s.config.project.dir)).toBe(s.v1Commit);
  });

  it("whose archive pg_restore cannot read stops in preflight, even with a matching sha256", async () => {
    const s = await world.prepare({ format: "custom" });
    const file = path.join(s.backupDir, s.manifest.database?.file.path ?? "");
    // Overwrite the archive's "PGDMP" magic, and make the manifest agree with the damaged file.
    const bytes = await readFile(file);
    bytes.write("XXXXX", 0, "latin1");
    await writeFile(file, bytes);
    const manifestFile = path.join(s.backupDir, "manifest.json");
    const manifest = JSON.parse(await readFile(manifestFile, "utf8")) as BackupManifest;
    if (manifest.database) manifest.database.file.sha256 = createHash("sha256").update(bytes).digest("hex");
    await writeFile(manifestFile, JSON.stringify(manifest));
    const before = await containerStates(world.docker, s);

    const report = await world.rollback(s, "unreadable");

    await expectRefusedInPreflight(world.docker, s, report, "cannot be read by pg_restore", before);
    expect((await databaseNames(world.cluster)).filter((n) => n.startsWith(s.database))).toEqual([s.database]);
  });
});

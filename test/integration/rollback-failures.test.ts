// Rollbacks that must not hurt: a corrupted dump stops before any of it is used, nothing touched, a dump
// that breaks mid-restore leaves services and live data alone, and a failure after services went
// down puts the previous state back (undo).
import { readdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { gunzipSync, gzipSync } from "node:zlib";
import pg from "pg";
import { describe, expect, it } from "vitest";
import { listProjectContainers } from "../../agent/src/host/compose.ts";
import type { RollbackProgress } from "../../agent/src/rollback/executor.ts";
import { volumeDataDir } from "../../agent/src/host/volume.ts";
import { setAsideDirOf } from "../../agent/src/host/set-aside-dir.ts";
import { dataDirNames, setAsidePostDatabase } from "../../agent/src/rollback/names.ts";
import { fileFactsOf } from "../fixtures/backup/manifest.ts";
import {
  containerStates,
  databaseNames,
  expectRefusedInPreflight,
  rewriteManifest,
  gitHeadOf,
  type Scenario,
  scenarioPerTest,
  snapshotDatabase,
  snapshotFiles,
} from "./rollback-fixture.ts";

const world = scenarioPerTest();

async function volumeSiblings(s: Scenario): Promise<string[]> {
  const live = await volumeDataDir(world.docker, s.config.project.minio?.volume ?? "");
  return (await readdir(path.dirname(live))).sort();
}

describe("rollback failures", () => {
  it("a dump with one flipped byte is refused by the stage's piece check, with no container stopped and no staged copy left", async () => {
    const s = await world.prepare();
    expect(s.manifest.database?.file.pieces?.length).toBeGreaterThan(0);
    const dump = path.join(s.backupDir, s.manifest.database?.file.path ?? "");
    const bytes = await readFile(dump);
    const middle = Math.floor(bytes.length / 2);
    bytes[middle] = (bytes[middle] ?? 0) ^ 0xff;
    await writeFile(dump, bytes);
    const before = await containerStates(world.docker, s);

    const events: RollbackProgress[] = [];
    const report = await world.rollback(s, "corrupt", { onProgress: (event) => events.push(event) });

    expect(report.state).toBe("failed");
    expect(report.error).toMatchObject({ step: "stage", code: "BACKUP_INVALID" });
    expect(report.error?.message).toMatch(/differs from its backup manifest \(bytes 0–\d+: sha256 /);
    expect(report.steps.map((step) => step.id)).not.toContain("stop-services");
    expect(events.map((e) => e.message ?? "")).toContainEqual(expect.stringMatching(/present with the recorded size \(each piece is checked/));
    expect(await containerStates(world.docker, s)).toEqual(before);
    expect(before.every(([, , state]) => state === "running")).toBe(true);
    expect(await snapshotDatabase(s.databaseUrl)).toEqual(s.v2.tables);
    expect((await databaseNames(world.cluster)).filter((n) => n.startsWith(s.database))).toEqual([s.database]);
    expect(await volumeSiblings(s)).toEqual(["_data"]);
    expect(await gitHeadOf(s.config.project.dir)).toBe(s.v2Commit);
  });

  it("a dump swapped for SQL of the same size never reaches psql: none of its statements runs", async () => {
    const s = await world.prepare();
    const dump = path.join(s.backupDir, s.manifest.database?.file.path ?? "");
    const size = (await readFile(dump)).length;
    // A valid gzip start whose first statement would outlive the staged database (a role is
    // cluster-wide), padded to the recorded size: psql would run it before gunzip reached the padding.
    const role = `rewind_pwned_${s.runId}`.toLowerCase();
    const evil = gzipSync(`CREATE ROLE ${role};\n`);
    expect(evil.length).toBeLessThan(size);
    await writeFile(dump, Buffer.concat([evil, Buffer.alloc(size - evil.length)]));
    const before = await containerStates(world.docker, s);

    const report = await world.rollback(s, "swapped");

    expect(report.state).toBe("failed");
    expect(report.error).toMatchObject({ step: "stage", code: "BACKUP_INVALID" });
    expect(await containerStates(world.docker, s)).toEqual(before);
    const client = new pg.Client({ connectionString: s.databaseUrl });
    await client.connect();
    try {
      expect((await client.query("SELECT 1 FROM pg_roles WHERE rolname = $1", [role])).rowCount).toBe(0);
    } finally {
      await client.end();
    }
  });

  it("a dump that fails mid-restore leaves the running services and live database untouched", async () => {
    const s = await world.prepare();
    const file = s.manifest.database?.file.path ?? "";
    const sql = gunzipSync(await readFile(path.join(s.backupDir, file))).toString("utf8");
    // Valid gzip, valid sha256, but SQL that breaks half-way (after the first tables loaded).
    const cut = sql.indexOf("COPY public.users");
    expect(cut).toBeGreaterThan(0);
    const broken = gzipSync(`${sql.slice(0, cut)}INSERT INTO no_such_table VALUES (1);\n${sql.slice(cut)}`);
    await writeFile(path.join(s.backupDir, file), broken);
    await rewriteManifest(s, (m) => ({
      ...m,
      ...(m.database ? { database: { ...m.database, file: { ...m.database.file, ...fileFactsOf(broken) } } } : {}),
    }));
    const before = await containerStates(world.docker, s);

    const report = await world.rollback(s, "midrestore");

    expect(report.state).toBe("failed");
    expect(report.error?.step).toBe("stage");
    expect(report.error?.code).toBe("STEP_FAILED");
    expect(report.error?.message).toContain("no_such_table");
    expect(report.steps.map((step) => step.id)).not.toContain("stop-services");
    expect(await containerStates(world.docker, s)).toEqual(before);
    expect(await snapshotDatabase(s.databaseUrl)).toEqual(s.v2.tables);
    expect((await databaseNames(world.cluster)).filter((n) => n.startsWith(s.database))).toEqual([s.database]);
    expect(await volumeSiblings(s)).toEqual(["_data"]);
    expect(await snapshotFiles(await volumeDataDir(world.docker, s.config.project.minio?.volume ?? ""))).toEqual(s.v2.files);
  });

  it("a restored copy whose row counts differ from the manifest fails in stage, before any downtime", async () => {
    const s = await world.prepare();
    await rewriteManifest(s, (m) => ({
      ...m,
      ...(m.database ? { database: { ...m.database, tables: m.database.tables?.map((t) => (t.table === "jobs" ? { ...t, rows: t.rows + 1 } : t)) } } : {}),
    }));
    const before = await containerStates(world.docker, s);

    const report = await world.rollback(s, "counts");

    expect(report.state).toBe("failed");
    expect(report.error).toMatchObject({ step: "stage", code: "STEP_FAILED" });
    expect(report.error?.message).toContain("public.jobs: expected 6, found 5");
    expect(report.steps.map((step) => step.id)).not.toContain("stop-services");
    expect(await containerStates(world.docker, s)).toEqual(before);
    expect(await snapshotDatabase(s.databaseUrl)).toEqual(s.v2.tables);
    expect((await databaseNames(world.cluster)).filter((n) => n.startsWith(s.database))).toEqual([s.database]);
    expect(await volumeSiblings(s)).toEqual(["_data"]);
  });

  it("a MinIO archive that cannot be unpacked ends the stage at once: the restore beside it is stopped and dropped, nothing stopped", async () => {
    const s = await world.prepare();
    // The database restore hangs (only the tool timeout, 120 s here, would end it) while the
    // archive, valid gzip with a matching sha256, is no tar: staged side by side, the archive's
    // failure stops the restore instead of waiting for it.
    const dumpFile = path.join(s.backupDir, s.manifest.database?.file.path ?? "");
    const sql = gunzipSync(await readFile(dumpFile)).toString("utf8");
    const at = sql.indexOf("COPY public.users");
    const hanging = gzipSync(`${sql.slice(0, at)}SELECT pg_sleep(600);\n${sql.slice(at)}`);
    await writeFile(dumpFile, hanging);
    const archiveFile = s.manifest.minio?.file.path ?? "";
    const notTar = gzipSync("this is not a tar archive\n".repeat(100));
    await writeFile(path.join(s.backupDir, archiveFile), notTar);
    await rewriteManifest(s, (m) => ({
      ...m,
      ...(m.database ? { database: { ...m.database, file: { ...m.database.file, ...fileFactsOf(hanging) } } } : {}),
      ...(m.minio ? { minio: { ...m.minio, file: { ...m.minio.file, ...fileFactsOf(notTar) } } } : {}),
    }));
    const database = s.config.project.database;
    if (!database) throw new Error("the scenario has no database");
    const config = { ...s.config, project: { ...s.config.project, database: { ...database, timeouts: { ...database.timeouts, toolSeconds: 120 } } } };
    const before = await containerStates(world.docker, s);

    const started = Date.now();
    const report = await world.rollback({ ...s, config }, "notar");

    expect(Date.now() - started).toBeLessThan(60_000);
    expect(report.state).toBe("failed");
    expect(report.error).toMatchObject({ step: "stage", code: "STEP_FAILED" });
    expect(report.error?.message).toContain(`unpacking ${path.join(s.backupDir, archiveFile)}`);
    expect(report.error?.message).toContain("Unrecognized archive format");
    expect(report.steps.map((step) => step.id)).not.toContain("stop-services");
    expect(await containerStates(world.docker, s)).toEqual(before);
    expect(await snapshotDatabase(s.databaseUrl)).toEqual(s.v2.tables);
    expect((await databaseNames(world.cluster)).filter((n) => n.startsWith(s.database))).toEqual([s.database]);
    expect(await volumeSiblings(s)).toEqual(["_data"]);
    const admin = new pg.Client({ connectionString: world.cluster.adminUrl });
    await admin.connect();
    const sleeping = await admin.query("SELECT pid FROM pg_stat_activity WHERE query LIKE 'SELECT pg_sleep(600)%'").finally(() => admin.end());
    expect(sleeping.rows).toEqual([]);
  });

  it("a database already named like a copy the rollback would create stops it in preflight", async () => {
    const s = await world.prepare();
    const leftover = setAsidePostDatabase(s.database, `rb-taken-${s.runId}`);
    const admin = new pg.Client({ connectionString: world.cluster.adminUrl });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${admin.escapeIdentifier(leftover)}`).finally(() => admin.end());
    const before = await containerStates(world.docker, s);

    const report = await world.rollback(s, "taken");

    await expectRefusedInPreflight(world.docker, s, report, `a database named ${leftover} already exists`, before);
    expect((await databaseNames(world.cluster)).filter((n) => n.startsWith(s.database))).toEqual([s.database, leftover].sort());
  });

  it("a failure after services stopped is undone: v2 data, code and containers come back", async () => {
    const s = await world.prepare({ thresholds: { healthTimeoutSeconds: 8 } });
    // The backup claims the backend ran the broken v2 image: verify cannot get it healthy.
    const v2Backend = (await listProjectContainers(world.docker, s.config.project.name)).find((c) => c.service === "backend");
    await rewriteManifest(s, (m) => ({
      ...m,
      services: m.services.map((svc) => (svc.service === "backend" ? { service: "backend", imageId: v2Backend?.imageId ?? "" } : svc)),
    }));
    const imagesBefore = (await listProjectContainers(world.docker, s.config.project.name)).map((c) => [c.service, c.imageId]);

    const report = await world.rollback(s, "undo");

    expect(report.state).toBe("undone");
    expect(report.error?.step).toBe("verify");
    expect(report.steps.map((step) => [step.id, step.state]).at(-1)).toEqual(["undo", "succeeded"]);
    expect(await snapshotDatabase(s.databaseUrl)).toEqual(s.v2.tables);
    expect(await snapshotFiles(await volumeDataDir(world.docker, s.config.project.minio?.volume ?? ""))).toEqual(s.v2.files);
    expect(await gitHeadOf(s.config.project.dir)).toBe(s.v2Commit);
    const after = await listProjectContainers(world.docker, s.config.project.name);
    expect(after.map((c) => [c.service, c.imageId])).toEqual(imagesBefore);
    expect(after.every((c) => c.state === "running")).toBe(true);
    // Services ran on the restored data before verify failed: it is set aside and named, not dropped.
    const rollbackId = `rb-undo-${s.runId}`;
    expect(report.undoSetAside?.database).toBe(setAsidePostDatabase(s.database, rollbackId));
    expect(await snapshotDatabase(world.cluster.urlFor(report.undoSetAside?.database ?? ""))).toEqual(s.v1.tables);
    expect((await databaseNames(world.cluster)).filter((n) => n.startsWith(s.database))).toEqual([s.database, report.undoSetAside?.database].sort());
    expect(await volumeSiblings(s)).toEqual(["_data"]);
    const live = await volumeDataDir(world.docker, s.config.project.minio?.volume ?? "");
    expect(await readdir(setAsideDirOf(live))).toEqual([dataDirNames(rollbackId).post]);
  });
});

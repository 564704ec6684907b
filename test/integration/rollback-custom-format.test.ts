// Rewind's own backups may use pg_dump's custom format: the stage step restores it with
// `pg_restore -j` into the side database, and preflight reads its table of contents and sha256
// first. Real PostgreSQL, Docker and git; the backup is taken by runBackup with format "custom".
import { createHash } from "node:crypto";
import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import type Docker from "dockerode";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { listProjectContainers } from "../../agent/src/host/compose.ts";
import type { RollbackReport } from "../../agent/src/rollback/report.ts";
import { runRollback } from "../../agent/src/rollback/run-rollback.ts";
import type { BackupManifest } from "../../shared/schemas/manifest.ts";
import { requireDocker } from "../world/docker.ts";
import { type PgCluster, startPostgres } from "../world/postgres.ts";
import { databaseNames, gitHeadOf, prepareScenario, type Scenario, snapshotDatabase } from "./rollback-fixture.ts";

let docker: Docker;
let cluster: PgCluster;
let scenario: Scenario | undefined;

beforeAll(async () => {
  docker = await requireDocker();
  cluster = await startPostgres();
});
afterEach(async () => {
  await scenario?.cleanup();
  scenario = undefined;
});
afterAll(async () => {
  await cluster?.stop();
});

async function rollback(s: Scenario, name: string): Promise<RollbackReport> {
  return runRollback(
    s.config,
    { rollbackId: `rb-${name}-${s.runId}`, backup: { kind: "manifest", dir: s.backupDir }, mode: "full", reason: `test: ${name}` },
    { docker, signal: new AbortController().signal, onProgress: () => undefined },
  );
}

describe("a custom-format backup", () => {
  it("rolls back with the backup's rows and sequences, restored by pg_restore", async () => {
    scenario = await prepareScenario(docker, cluster, { format: "custom" });
    const s = scenario;
    expect(s.manifest.database).toMatchObject({ format: "custom", file: { path: expect.stringMatching(/^db_\d{8}_\d{6}\.dump$/) } });

    const report = await rollback(s, "custom");

    expect(report.error).toBeUndefined();
    expect(report.state).toBe("succeeded");
    expect(await snapshotDatabase(s.databaseUrl)).toEqual(s.v1.tables);
    expect(await snapshotDatabase(cluster.urlFor(report.setAside?.database ?? ""))).toEqual(s.v2.tables);
    expect(await gitHeadOf(s.config.project.dir)).toBe(s.v1Commit);
  });

  it("whose archive pg_restore cannot read stops in preflight, even with a matching sha256", async () => {
    scenario = await prepareScenario(docker, cluster, { format: "custom" });
    const s = scenario;
    const file = path.join(s.backupDir, s.manifest.database?.file.path ?? "");
    // Overwrite the archive's "PGDMP" magic, and make the manifest agree with the damaged file.
    const bytes = await readFile(file);
    bytes.write("XXXXX", 0, "latin1");
    await writeFile(file, bytes);
    const manifestFile = path.join(s.backupDir, "manifest.json");
    const manifest = JSON.parse(await readFile(manifestFile, "utf8")) as BackupManifest;
    if (manifest.database) manifest.database.file.sha256 = createHash("sha256").update(bytes).digest("hex");
    await writeFile(manifestFile, JSON.stringify(manifest));
    const before = (await listProjectContainers(docker, s.config.project.name)).map((c) => [c.id, c.state]);

    const report = await rollback(s, "unreadable");

    expect(report.state).toBe("failed");
    expect(report.error).toMatchObject({ step: "preflight", code: "PREFLIGHT_FAILED" });
    expect(report.error?.message).toContain("cannot be read by pg_restore");
    expect((await listProjectContainers(docker, s.config.project.name)).map((c) => [c.id, c.state])).toEqual(before);
    expect((await databaseNames(cluster)).filter((n) => n.startsWith(s.database))).toEqual([s.database]);
  });
});

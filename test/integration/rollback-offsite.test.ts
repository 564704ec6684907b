// A rollback whose backup files are gone from the host: with the off-site copy configured, preflight
// fetches them back from S3 (sha256 checked against the manifest) and the rollback succeeds; a copy
// that does not match the manifest stops it in preflight with nothing changed. Real S3 server on
// loopback, Docker, PostgreSQL, git.
import { createHash } from "node:crypto";
import { readFile, rm } from "node:fs/promises";
import path from "node:path";
import { PutObjectCommand } from "@aws-sdk/client-s3";
import type Docker from "dockerode";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { listProjectContainers } from "../../agent/src/host/compose.ts";
import type { RollbackProgress } from "../../agent/src/rollback/executor.ts";
import type { RollbackReport } from "../../agent/src/rollback/report.ts";
import type { BackupSelector } from "../../agent/src/rollback/request.ts";
import { runRollback } from "../../agent/src/rollback/run-rollback.ts";
import { requireDocker } from "../world/docker.ts";
import { type PgCluster, startPostgres } from "../world/postgres.ts";
import { type S3World, startS3 } from "../world/s3.ts";
import { gitHeadOf, prepareScenario, type Scenario, snapshotDatabase } from "./rollback-fixture.ts";

let docker: Docker;
let cluster: PgCluster;
let s3: S3World;
let scenario: Scenario | undefined;

beforeAll(async () => {
  docker = await requireDocker();
  [cluster, s3] = await Promise.all([startPostgres(), startS3()]);
});
afterEach(async () => {
  await scenario?.cleanup();
  scenario = undefined;
});
afterAll(async () => {
  await s3?.stop();
  await cluster?.stop();
});

async function rollback(s: Scenario, name: string, backup: BackupSelector, events: RollbackProgress[] = []): Promise<RollbackReport> {
  return runRollback(
    s.config,
    { rollbackId: `rb-${name}-${s.runId}`, backup, mode: "full", reason: `test: ${name}` },
    { docker, signal: new AbortController().signal, onProgress: (event) => events.push(event) },
  );
}

const sha256 = async (file: string): Promise<string> => createHash("sha256").update(await readFile(file)).digest("hex");

describe("a rollback with the backup's files gone from the host", () => {
  it("fetches a deleted archive back from the off-site copy and succeeds", async () => {
    scenario = await prepareScenario(docker, cluster, { offsite: s3 });
    const s = scenario;
    const dumpPath = s.manifest.database?.file.path ?? "";
    await rm(path.join(s.backupDir, dumpPath));
    const events: RollbackProgress[] = [];

    const report = await rollback(s, "fetch-archive", { kind: "manifest", dir: s.backupDir }, events);

    expect(report.error).toBeUndefined();
    expect(report.state).toBe("succeeded");
    expect(events.map((e) => e.message ?? "")).toContain(`fetched from the off-site copy (sha256 checked): ${dumpPath}`);
    expect(await sha256(path.join(s.backupDir, dumpPath))).toBe(s.manifest.database?.file.sha256);
    expect(await snapshotDatabase(s.databaseUrl)).toEqual(s.v1.tables);
    expect(await gitHeadOf(s.config.project.dir)).toBe(s.v1Commit);
  });

  it("brings back a whole backup directory named by id", async () => {
    scenario = await prepareScenario(docker, cluster, { offsite: s3 });
    const s = scenario;
    await rm(s.backupDir, { recursive: true });

    const report = await rollback(s, "fetch-dir", { kind: "id", backupId: s.manifest.backupId });

    expect(report.error).toBeUndefined();
    expect(report.state).toBe("succeeded");
    for (const file of [s.manifest.database?.file, s.manifest.minio?.file]) {
      expect(await sha256(path.join(s.backupDir, file?.path ?? ""))).toBe(file?.sha256);
    }
    expect(await snapshotDatabase(s.databaseUrl)).toEqual(s.v1.tables);
  });

  it("refuses an off-site copy that does not match the manifest, in preflight, with nothing changed", async () => {
    scenario = await prepareScenario(docker, cluster, { offsite: s3 });
    const s = scenario;
    const dumpPath = s.manifest.database?.file.path ?? "";
    await rm(path.join(s.backupDir, dumpPath));
    const key = `backups/${s.config.host}/${path.basename(s.backupDir)}/${dumpPath}`;
    await s3.client.send(new PutObjectCommand({ Bucket: s.config.offsite?.bucket, Key: key, Body: "not the dump" }));
    const before = (await listProjectContainers(docker, s.config.project.name)).map((c) => [c.id, c.state]);

    const report = await rollback(s, "bad-copy", { kind: "manifest", dir: s.backupDir });

    expect(report.state).toBe("failed");
    expect(report.error).toMatchObject({ step: "preflight", code: "PREFLIGHT_FAILED" });
    expect(report.error?.message).toContain("does not match the manifest");
    expect((await listProjectContainers(docker, s.config.project.name)).map((c) => [c.id, c.state])).toEqual(before);
    expect(await snapshotDatabase(s.databaseUrl)).toEqual(s.v2.tables);
  });
});

// Issue 14.1, the attack: someone with write access to the off-site bucket (not to the host, not to
// the control plane) replaces a backup's manifest.json there. With the backup gone from the host, a
// rollback fetches it back. A traversal path must not write outside backups/, a swapped dump must
// not reach PostgreSQL; the genuine copy still restores. Control plane in workerd, the real agent
// process, s3rver, Docker, PostgreSQL, git.
import { access, readFile, rm } from "node:fs/promises";
import path from "node:path";
import { gzipSync } from "node:zlib";
import { createHash } from "node:crypto";
import { GetObjectCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import type Docker from "dockerode";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { BackupManifest } from "../../shared/schemas/manifest.ts";
import type { AgentProcess } from "../world/agent.ts";
import { type ControlPlaneWorld, startControlPlane } from "../world/control-plane.ts";
import { requireDocker } from "../world/docker.ts";
import { type PgCluster, startPostgres } from "../world/postgres.ts";
import { type S3World, startS3 } from "../world/s3.ts";
import { gitHeadOf, prepareScenario, type Scenario, snapshotDatabase } from "./rollback-fixture.ts";
import { enrolledAgent, mintToken, requestRollback, stopScenarioWorld, untilRollback } from "./rollbacks-helpers.ts";

let docker: Docker;
let cluster: PgCluster;
let s3: S3World;
let scenario: Scenario;
let world: ControlPlaneWorld;
let agent: AgentProcess | undefined;
let operator: { id: string; token: string };
let bucket: string;
let prefix: string;
let genuineManifest: string;
let genuineDump: Buffer;

const sha256 = (bytes: Buffer): string => createHash("sha256").update(bytes).digest("hex");

async function object(key: string): Promise<Buffer> {
  const got = await s3.client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return Buffer.from((await got.Body?.transformToByteArray()) ?? []);
}

async function put(key: string, body: string | Buffer): Promise<void> {
  await s3.client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
}

async function exists(file: string): Promise<boolean> {
  return access(file).then(
    () => true,
    () => false,
  );
}

/** Requests a rollback to the scenario's backup and waits for it to end; returns its final detail. */
async function rollBack(reason: string): Promise<{ state: string; outcome?: { code?: string; message?: string } }> {
  const rollbackId = await requestRollback(world, operator.token, scenario.config.host, reason, { backupId: scenario.manifest.backupId });
  return untilRollback(world, rollbackId, `"${reason}" to finish`, (d) => ["succeeded", "failed", "undone", "expired"].includes(d.state), 180_000, agent);
}

beforeAll(async () => {
  docker = await requireDocker();
  [cluster, s3] = await Promise.all([startPostgres(), startS3()]);
  world = await startControlPlane();
  scenario = await prepareScenario(docker, cluster, { offsite: s3 });
  bucket = scenario.config.offsite?.bucket ?? "";
  prefix = `backups/${scenario.config.host}/${path.basename(scenario.backupDir)}/`;
  genuineManifest = (await object(`${prefix}manifest.json`)).toString("utf8");
  genuineDump = await object(`${prefix}${scenario.manifest.database?.file.path}`);
  operator = await mintToken(world, "operator", "olga");
  agent = await enrolledAgent(world, scenario, "backup");
  // The backup is gone from the host: a rollback has to fetch it back from the bucket.
  await rm(scenario.backupDir, { recursive: true });
}, 300_000);

afterAll(async () => {
  await stopScenarioWorld({ agent, world, scenario, s3, cluster });
});

describe("a poisoned off-site manifest", () => {
  it("with a path leaving the backup directory: refused, nothing written outside backups/", async () => {
    const payload = Buffer.from("* * * * * root touch /tmp/owned\n");
    const escapeTo = path.join(scenario.root, "escaped-by-manifest");
    const relative = path.relative(scenario.backupDir, escapeTo);
    const manifest = JSON.parse(genuineManifest) as BackupManifest;
    if (manifest.database === undefined) throw new Error("the scenario's backup has no database");
    manifest.database.file = { path: relative, bytes: payload.length, sha256: sha256(payload) };
    await put(`${prefix}manifest.json`, JSON.stringify(manifest));
    await put(`${prefix}${relative}`, payload);

    const result = await rollBack("poisoned path");

    expect(result.state).toBe("failed");
    expect(result.outcome?.message).toContain("must be a relative path inside the backup directory");
    expect(await exists(escapeTo)).toBe(false);
    expect(await exists(scenario.backupDir)).toBe(false);
    expect(await gitHeadOf(scenario.config.project.dir)).toBe(scenario.v2Commit);
  });

  it("with a swapped dump whose sha256 the manifest was changed to match: refused, the database untouched", async () => {
    const evil = gzipSync(Buffer.from("CREATE TABLE pwned (id int);\n"));
    const manifest = JSON.parse(genuineManifest) as BackupManifest;
    if (manifest.database === undefined) throw new Error("the scenario's backup has no database");
    manifest.database.file = { ...manifest.database.file, bytes: evil.length, sha256: sha256(evil) };
    await put(`${prefix}manifest.json`, JSON.stringify(manifest));
    await put(`${prefix}${manifest.database.file.path}`, evil);

    const result = await rollBack("swapped dump");

    expect(result.state).toBe("failed");
    expect(result.outcome?.message).toContain("but the signed command names");
    expect(await snapshotDatabase(scenario.databaseUrl)).toEqual(scenario.v2.tables);
    expect(await exists(scenario.backupDir)).toBe(false);
  });

  it("the genuine copy, put back, is accepted and restores v1", async () => {
    await put(`${prefix}manifest.json`, genuineManifest);
    await put(`${prefix}${scenario.manifest.database?.file.path}`, genuineDump);

    const result = await rollBack("genuine copy");

    expect(result.state).toBe("succeeded");
    expect(JSON.parse(await readFile(path.join(scenario.backupDir, "manifest.json"), "utf8"))).toEqual(scenario.manifest);
    expect(await snapshotDatabase(scenario.databaseUrl)).toEqual(scenario.v1.tables);
    expect(await gitHeadOf(scenario.config.project.dir)).toBe(scenario.v1Commit);
  });
});

// A rollback whose backup files are gone from the host: with the off-site copy configured, preflight
// fetches them back from S3 (sha256 checked against the manifest) and the rollback succeeds; a copy
// that does not match the manifest stops it in preflight with nothing changed. Real S3 server on
// loopback, Docker, PostgreSQL, git.
import { createHash } from "node:crypto";
import { readFile, rm } from "node:fs/promises";
import path from "node:path";
import { PutObjectCommand } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RollbackProgress } from "../../agent/src/rollback/executor.ts";
import { manifestSha256 } from "../../shared/manifest-digest.ts";
import { type S3World, startS3 } from "../world/s3.ts";
import { containerStates, expectRefusedInPreflight, gitHeadOf, scenarioPerTest, snapshotDatabase } from "./rollback-fixture.ts";

const world = scenarioPerTest();
let s3: S3World;

beforeAll(async () => {
  s3 = await startS3();
});
afterAll(async () => {
  await s3?.stop();
});

const sha256 = async (file: string): Promise<string> =>
  createHash("sha256")
    .update(await readFile(file))
    .digest("hex");

describe("a rollback with the backup's files gone from the host", () => {
  it("fetches a deleted archive back from the off-site copy and succeeds", async () => {
    const s = await world.prepare({ offsite: s3 });
    const dumpPath = s.manifest.database?.file.path ?? "";
    await rm(path.join(s.backupDir, dumpPath));
    const events: RollbackProgress[] = [];

    const report = await world.rollback(s, "fetch-archive", { onProgress: (event) => events.push(event) });

    expect(report.error).toBeUndefined();
    expect(report.state).toBe("succeeded");
    expect(events.map((e) => e.message ?? "")).toContain(`fetched from the off-site copy (sha256 checked): ${dumpPath}`);
    expect(await sha256(path.join(s.backupDir, dumpPath))).toBe(s.manifest.database?.file.sha256);
    expect(await snapshotDatabase(s.databaseUrl)).toEqual(s.v1.tables);
    expect(await gitHeadOf(s.config.project.dir)).toBe(s.v1Commit);
  });

  it("brings back a whole backup directory named by id", async () => {
    const s = await world.prepare({ offsite: s3 });
    await rm(s.backupDir, { recursive: true });

    // As the signed command names it: the manifest's sha256 vouches for the copy in the bucket.
    const backup = { kind: "id" as const, backupId: s.manifest.backupId, manifestSha256: manifestSha256(s.manifest) };
    const report = await world.rollback(s, "fetch-dir", { backup });

    expect(report.error).toBeUndefined();
    expect(report.state).toBe("succeeded");
    for (const file of [s.manifest.database?.file, s.manifest.minio?.file]) {
      expect(await sha256(path.join(s.backupDir, file?.path ?? ""))).toBe(file?.sha256);
    }
    expect(await snapshotDatabase(s.databaseUrl)).toEqual(s.v1.tables);
  });

  it("refuses an off-site copy that does not match the manifest, in preflight, with nothing changed", async () => {
    const s = await world.prepare({ offsite: s3 });
    const dumpPath = s.manifest.database?.file.path ?? "";
    await rm(path.join(s.backupDir, dumpPath));
    const key = `backups/${s.config.host}/${path.basename(s.backupDir)}/${dumpPath}`;
    await s3.client.send(new PutObjectCommand({ Bucket: s.config.offsite?.bucket, Key: key, Body: "not the dump" }));
    const before = await containerStates(world.docker, s);

    const report = await world.rollback(s, "bad-copy");

    await expectRefusedInPreflight(world.docker, s, report, "does not match the manifest", before);
  });
});

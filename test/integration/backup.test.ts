// `rewind backup` against the real world: the demo stack in Docker (MinIO data in a real volume),
// a throwaway PostgreSQL cluster, an S3 server on loopback for the off-site copy, a git checkout.
import { execFile } from "node:child_process";
import { cp, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { gunzipSync } from "node:zlib";
import { PutObjectCommand, HeadObjectCommand } from "@aws-sdk/client-s3";
import type Docker from "dockerode";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildDemoImages } from "../../infra/demo-stack/images.ts";
import { downStack, type DemoStack, upStack, volumeDir } from "../../infra/demo-stack/stack.ts";
import { isRewindError } from "../../shared/errors.ts";
import { manifestSha256 } from "../../shared/manifest-digest.ts";
import { generateSigningKey } from "../../shared/signing.ts";
import type { CommandClaims } from "../../shared/schemas/command.ts";
import { type BackupManifest, backupManifest } from "../../shared/schemas/manifest.ts";
import type { Report } from "../../shared/schemas/report.ts";
import { backupHandler } from "../../agent/src/backup/command-handler.ts";
import { fetchBackup, fetchMissingFiles } from "../../agent/src/backup/fetch-missing.ts";
import { copyOffsite } from "../../agent/src/backup/offsite-copy.ts";
import { readManifest } from "../../agent/src/backup/manifest-file.ts";
import { listBackupNames } from "../../agent/src/backup/retention.ts";
import { runBackup } from "../../agent/src/backup/run-backup.ts";
import { type AgentConfig, parseAgentConfig } from "../../agent/src/config.ts";
import { dumpDatabase } from "../../agent/src/host/pg-dump.ts";
import { tableCounts } from "../../agent/src/host/postgres-stats.ts";
import { parseLastDeploymentBackup } from "../../agent/src/rollback/last-deployment-backup.ts";
import { createDemoDatabase, DEMO_DATABASE, demoRowCounts, seedMinioData } from "../world/demo-data.ts";
import { newRunId, removeLabelled, requireDocker, testLabels } from "../world/docker.ts";
import { type PgCluster, startPostgres } from "../world/postgres.ts";
import { type S3World, startS3 } from "../world/s3.ts";
import { type CliResult, runRewindCli } from "../world/rewind-cli.ts";
import { createDatabase, exists, flipByte, imageIdOf, rejection, removeKeepTags, verifyAllFiles } from "./backup-helpers.ts";

const run = promisify(execFile);
const BUCKET = "rewind-offsite";
const rewind = (args: string[]): Promise<CliResult> => runRewindCli(args);

describe("rewind backup", () => {
  const runId = newRunId();
  const project = `rwbk-${runId}`;
  let docker: Docker;
  let stack: DemoStack;
  let cluster: PgCluster;
  let s3: S3World;
  let root: string;
  let projectDir: string;
  let configFile: string;
  let rawConfig: Record<string, unknown>;
  let config: AgentConfig;
  /** The backup the CLI took in the first test; later tests check and damage copies of it. */
  let first: { dir: string; manifest: BackupManifest };

  beforeAll(async () => {
    docker = await requireDocker();
    const images = await buildDemoImages(docker);
    stack = await upStack(docker, { project, version: "v1", labels: testLabels(runId), images });
    await seedMinioData(await volumeDir(docker, stack.minioVolume), "v1");
    cluster = await startPostgres();
    await createDemoDatabase(cluster, "v1");
    s3 = await startS3();
    await s3.createBucket(BUCKET);

    root = await mkdtemp(path.join(tmpdir(), "rewind-backup-test-"));
    projectDir = path.join(root, "project");
    await mkdir(projectDir);
    await writeFile(path.join(projectDir, "docker-compose.yml"), "services: {}\n");
    await run("git", ["-C", projectDir, "init", "--quiet", "--initial-branch=main"]);
    await run("git", ["-C", projectDir, "add", "."]);
    await run("git", ["-C", projectDir, "-c", "user.email=t@example.com", "-c", "user.name=t", "commit", "--quiet", "-m", "v1"]);

    rawConfig = {
      host: "backup-host",
      stateDir: path.join(root, "state"),
      project: {
        name: project,
        dir: projectDir,
        database: { adminUrl: cluster.adminUrl, name: DEMO_DATABASE, binDir: cluster.bin },
        minio: { volume: stack.minioVolume, buckets: ["schedgen"] },
      },
      retention: { backups: 5, setAside: 3 },
      offsite: {
        endpoint: s3.endpoint,
        region: s3.region,
        bucket: BUCKET,
        accessKeyId: s3.accessKeyId,
        secretAccessKey: s3.secretAccessKey,
      },
    };
    configFile = path.join(root, "agent.json");
    await writeFile(configFile, JSON.stringify(rawConfig, null, 2));
    config = parseAgentConfig(rawConfig, configFile, root);
  });

  afterAll(async () => {
    if (docker) {
      if (stack !== undefined) await downStack(stack);
      await removeKeepTags(docker, project);
      await removeLabelled(docker, runId);
    }
    await cluster?.stop();
    await s3?.stop();
    if (root) await rm(root, { recursive: true, force: true });
  });

  it("writes the seed's layout: gzip-valid archives whose sha256 match the manifest, a dump psql restores with the same row counts", async () => {
    const result = await rewind(["backup", "--config", configFile, "--offsite", "--json"]);
    expect(result.stderr).toMatch(/^✓ database +succeeded/m);
    expect(result.code).toBe(0);
    // Node 20 is supported: no AWS SDK notice about Node versions among the progress lines (issue 16 §13).
    expect(result.stderr).not.toContain("NodeVersionSupportWarning");
    const output = JSON.parse(result.stdout) as { dir: string; manifest: unknown };
    const manifest = backupManifest.parse(output.manifest);
    first = { dir: output.dir, manifest };
    const ts = manifest.timestamp;
    expect(output.dir).toBe(path.join(projectDir, "backups", `pre-deployment-${ts}`));
    expect((await readdir(output.dir)).sort()).toEqual(["containers.json", `db_${ts}.sql.gz`, "manifest.json", `minio_${ts}.tar.gz`]);
    expect(await readManifest(output.dir)).toEqual(manifest);

    const db = path.join(output.dir, `db_${ts}.sql.gz`);
    const minio = path.join(output.dir, `minio_${ts}.tar.gz`);
    await run("gzip", ["-t", db, minio]);
    // Private to the agent: the dump holds every row, the archive every object.
    expect((await stat(output.dir)).mode & 0o777).toBe(0o700);
    for (const file of [db, minio, path.join(output.dir, "manifest.json")]) {
      expect({ file, mode: (await stat(file)).mode & 0o777 }).toEqual({ file, mode: 0o600 });
    }
    const sums = (await run("sha256sum", [db, minio])).stdout.split("\n").map((line) => line.split(/\s+/)[0]);
    expect(sums.slice(0, 2)).toEqual([manifest.database?.file.sha256, manifest.minio?.file.sha256]);
    expect(manifest.database?.file.bytes).toBe((await stat(db)).size);
    expect(manifest.minio?.file.bytes).toBe((await stat(minio)).size);
    // What each archive decompresses to, counted while writing: a rollback's disk check needs it.
    const unpacked = async (file: string): Promise<number> => gunzipSync(await readFile(file)).length;
    expect([manifest.database?.file.unpackedBytes, manifest.minio?.file.unpackedBytes]).toEqual([await unpacked(db), await unpacked(minio)]);
    // Each container's configuration stays on the host (env values): 0600, only its hash in the manifest.
    const containers = path.join(output.dir, "containers.json");
    expect((await stat(containers)).mode & 0o777).toBe(0o600);
    expect((await run("sha256sum", [containers])).stdout.split(/\s+/)[0]).toBe(manifest.containers?.sha256);

    const v1 = demoRowCounts.v1;
    expect(manifest.database?.tables).toEqual([
      { schema: "public", table: "jobs", rows: v1.jobs },
      { schema: "public", table: "migrations", rows: v1.migrations },
      { schema: "public", table: "users", rows: v1.users },
    ]);
    const restored = await createDatabase(cluster, "restored_plain");
    await run("bash", ["-o", "pipefail", "-c", `gunzip -c '${db}' | '${cluster.bin}/psql' -q -v ON_ERROR_STOP=1 '${restored}'`]);
    expect(await tableCounts(restored)).toEqual(manifest.database?.tables);

    const listing = (await run("tar", ["tzf", minio])).stdout.split("\n");
    expect(listing).toContain("./schedgen/calendars/week-48.ics");
    expect(listing).toContain("./.minio.sys/format.json");
    expect(manifest.minio?.buckets).toEqual(["schedgen"]);

    const head = (await run("git", ["-C", projectDir, "rev-parse", "HEAD"])).stdout.trim();
    expect(manifest.git).toEqual({ commit: head, branch: "main" });
    expect(manifest.host).toBe("backup-host");
    expect(manifest.composeProject).toBe(project);
    expect(manifest.services.map((s) => s.service)).toEqual(["backend", "frontend", "minio", "pdf-worker"]);
    for (const service of manifest.services) {
      const container = Object.values(stack.containers).find((c) => c.service === service.service);
      expect(service.imageId).toBe((await docker.getContainer(container?.id ?? "").inspect()).Image);
      expect(service.keepTag).toBe(`rewind-keep/${project}/${service.service}:${ts}`);
      expect(await imageIdOf(docker, service.keepTag ?? "")).toBe(service.imageId);
    }

    const last = parseLastDeploymentBackup(await readFile(path.join(projectDir, ".last-deployment-backup"), "utf8"), "test");
    expect(last).toEqual({
      DEPLOYMENT_TIMESTAMP: ts,
      BACKUP_DIR: `./backups/pre-deployment-${ts}`,
      DB_BACKUP_FILE: `./backups/pre-deployment-${ts}/db_${ts}.sql.gz`,
      MINIO_BACKUP_FILE: `./backups/pre-deployment-${ts}/minio_${ts}.tar.gz`,
      GIT_COMMIT: head,
      GIT_BRANCH: "main",
    });
    // The seed's scripts `source` it: the paths it names must exist from the project directory.
    const sourced = await run("bash", ["-c", 'source .last-deployment-backup && test -f "$DB_BACKUP_FILE" && test -f "$MINIO_BACKUP_FILE" && echo ok'], {
      cwd: projectDir,
    });
    expect(sourced.stdout.trim()).toBe("ok");

    // The archives stay out of git: a rollback's stash of local changes must not sweep them away.
    const status = (await run("git", ["-C", projectDir, "status", "--porcelain", "--untracked-files=all"])).stdout;
    expect(status).not.toContain("backups/");

    for (const file of [`db_${ts}.sql.gz`, `minio_${ts}.tar.gz`, "manifest.json"]) {
      const key = `backups/backup-host/pre-deployment-${ts}/${file}`;
      const head = await s3.client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: key }));
      expect(head.ContentLength).toBe((await stat(path.join(output.dir, file))).size);
    }
  });

  it("catches a flipped byte in an archive", async () => {
    await expect(verifyAllFiles(first.dir, first.manifest)).resolves.toHaveLength(3);
    const copy = path.join(root, "damaged");
    await cp(first.dir, copy, { recursive: true });
    const minioFile = first.manifest.minio?.file.path ?? "";
    const size = (await stat(path.join(copy, minioFile))).size;
    await flipByte(path.join(copy, minioFile), Math.floor(size / 2));
    const error = await rejection(verifyAllFiles(copy, first.manifest));
    expect(isRewindError(error, "BACKUP_INVALID")).toBe(true);
    const problems = (error as { details?: { problems?: { path: string; problem: string }[] } }).details?.problems;
    expect(problems?.map((p) => p.path)).toEqual([minioFile]);
    expect(["gzip", "sha256"]).toContain(problems?.[0]?.problem);
  });

  it("fetches a deleted local archive back from S3, checking its sha256 first", async () => {
    const dbFile = first.manifest.database?.file.path ?? "";
    const original = await readFile(path.join(first.dir, dbFile));
    await rm(path.join(first.dir, dbFile));
    const missing = await rejection(verifyAllFiles(first.dir, first.manifest));
    expect(isRewindError(missing, "BACKUP_INVALID")).toBe(true);

    expect(await fetchMissingFiles(config, first.dir, first.manifest)).toEqual([dbFile]);
    expect(await readFile(path.join(first.dir, dbFile))).toEqual(original);
    await expect(verifyAllFiles(first.dir, first.manifest)).resolves.toHaveLength(3);

    // A tampered off-site copy never takes the local file's place.
    const key = `backups/backup-host/${path.basename(first.dir)}/${dbFile}`;
    await s3.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: Buffer.from("not the dump") }));
    await rm(path.join(first.dir, dbFile));
    const tampered = await rejection(fetchMissingFiles(config, first.dir, first.manifest));
    expect(isRewindError(tampered, "BACKUP_INVALID")).toBe(true);
    expect(await readdir(first.dir)).not.toContain(dbFile);
    expect(await readdir(first.dir)).not.toContain(`${dbFile}.fetching`);
    await s3.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: original }));

    // The whole directory gone: manifest and archives come back from the bucket, but only with
    // something vouching for the manifest (here the sha256 a signed command would carry).
    await rm(first.dir, { recursive: true });
    const unvouched = await rejection(fetchBackup(config, path.basename(first.dir), {}));
    expect(isRewindError(unvouched, "BACKUP_INVALID")).toBe(true);
    expect((unvouched as Error).message).toContain("no signed command names its sha256");
    const fetched = await fetchBackup(config, path.basename(first.dir), { manifestSha256: manifestSha256(first.manifest) });
    expect(fetched).toEqual(first.manifest);
    await expect(verifyAllFiles(first.dir, first.manifest)).resolves.toHaveLength(3);
  });

  it("brings a whole backup back without a command only when the host's own signature vouches for its manifest", async () => {
    const { privateJwk } = await generateSigningKey("agent-key");
    const enrolled = parseAgentConfig({ ...rawConfig, agentKey: privateJwk }, "test", root);
    const name = path.basename(first.dir);
    const copy = await copyOffsite(enrolled, first.dir, first.manifest);
    expect(copy.keys).toContain(`backups/backup-host/${name}/manifest.jws`);
    await rm(first.dir, { recursive: true });
    expect(await fetchBackup(enrolled, name, {})).toEqual(first.manifest);

    // Changed in the bucket after the host signed it: refused before anything is written.
    const genuine = await readFile(path.join(first.dir, "manifest.json"), "utf8");
    await rm(first.dir, { recursive: true });
    const changed = { ...first.manifest, git: { ...first.manifest.git, branch: "attacker" } };
    const manifestKey = `backups/backup-host/${name}/manifest.json`;
    await s3.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: manifestKey, Body: JSON.stringify(changed) }));
    const refused = await rejection(fetchBackup(enrolled, name, {}));
    expect(isRewindError(refused, "BACKUP_INVALID")).toBe(true);
    expect((refused as Error).message).toContain("it differs from the manifest this host signed");
    expect(await readdir(path.dirname(first.dir))).not.toContain(name);

    await s3.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: manifestKey, Body: genuine }));
    expect(await fetchBackup(enrolled, name, {})).toEqual(first.manifest);
  });

  it("without an off-site copy configured, a missing archive is BACKUP_INVALID", async () => {
    const { offsite: _offsite, ...withoutOffsite } = rawConfig;
    const local = parseAgentConfig(withoutOffsite, "test", root);
    const copy = path.join(root, "no-offsite", path.basename(first.dir));
    await cp(first.dir, copy, { recursive: true });
    await rm(path.join(copy, first.manifest.minio?.file.path ?? ""));
    const error = await rejection(fetchMissingFiles(local, copy, first.manifest));
    expect(isRewindError(error, "BACKUP_INVALID")).toBe(true);
  });

  it("dumps in pg_dump's custom format for a parallel pg_restore", async () => {
    const result = await runBackup(config, { docker, onProgress: () => undefined }, { format: "custom", now: new Date("2030-06-01T12:00:00Z") });
    expect(result.manifest.database?.format).toBe("custom");
    expect(result.manifest.database?.file.path).toBe("db_20300601_120000.dump");
    await expect(verifyAllFiles(result.dir, result.manifest)).resolves.toHaveLength(3);
    const restored = await createDatabase(cluster, "restored_custom");
    await run(path.join(cluster.bin, "pg_restore"), ["--jobs=2", "--exit-on-error", `--dbname=${restored}`, path.join(result.dir, "db_20300601_120000.dump")]);
    expect(await tableCounts(restored)).toEqual(result.manifest.database?.tables);
  });

  it("keeps the newest N backups and never the one a rollback is using", async () => {
    const limited = parseAgentConfig({ ...rawConfig, retention: { backups: 2, setAside: 3 } }, "test", root);
    const take = (second: number) => runBackup(limited, { docker, onProgress: () => undefined }, { now: new Date(Date.UTC(2031, 0, 1, 0, 0, second)) });
    const a = await take(1);
    const lock = path.join(limited.stateDir, "rollback.lock");
    await writeFile(lock, JSON.stringify({ rollbackId: "rb-retention-1", pid: process.pid, acquiredAt: new Date().toISOString(), backupDir: a.dir }));
    try {
      await take(2);
      await take(3);
      const d = await take(4);
      expect((await listBackupNames(limited.project.backupsDir)).sort()).toEqual([
        "pre-deployment-20310101_000001",
        "pre-deployment-20310101_000003",
        "pre-deployment-20310101_000004",
      ]);
      expect(d.retention.notes.join(" ")).toContain("rb-retention-1");
      // The dropped backups' keep tags went with them; the protected one's stayed.
      expect(await imageIdOf(docker, `rewind-keep/${project}/backend:20310101_000002`)).toBeUndefined();
      expect(await imageIdOf(docker, `rewind-keep/${project}/backend:20310101_000001`)).toBeDefined();

      // A lock that does not say which backup it uses: nothing is removed.
      await writeFile(lock, JSON.stringify({ rollbackId: "rb-retention-2", pid: process.pid, acquiredAt: new Date().toISOString() }));
      const e = await take(5);
      expect(e.retention.removed).toEqual([]);
      expect(await listBackupNames(limited.project.backupsDir)).toHaveLength(4);
    } finally {
      await rm(lock, { force: true });
    }
    const f = await take(6);
    expect((await listBackupNames(limited.project.backupsDir)).sort()).toEqual(["pre-deployment-20310101_000005", "pre-deployment-20310101_000006"]);
    expect(f.retention.removed.sort()).toEqual(["pre-deployment-20310101_000001", "pre-deployment-20310101_000003", "pre-deployment-20310101_000004"]);
    expect(await exists(a.dir)).toBe(false);
  });

  it("runs as the agent's backup command: progress reports, then the manifest, then the result", async () => {
    const reports: Report[] = [];
    const claims: CommandClaims = {
      iss: "rewind-control-plane",
      aud: "backup-host",
      jti: "cmd-backup-0001",
      nonce: "nonce-backup-0001-abcdef",
      iat: 0,
      exp: 0,
      action: { type: "backup", offsite: true },
    };
    const handler = backupHandler(config, docker);
    const result = await handler(claims, {
      report: async (report) => {
        reports.push(report);
      },
      signal: new AbortController().signal,
    });
    expect(result.ok).toBe(true);
    const manifestReport = reports.find((r) => r.kind === "manifest");
    expect(manifestReport?.kind === "manifest" ? manifestReport.manifest.backupId : undefined).toBe(result.output?.backupId);
    const progress = reports.filter((r) => r.kind === "progress");
    expect(progress.map((r) => (r.kind === "progress" ? `${r.step}:${r.message?.split(":")[0]}` : ""))).toEqual(
      expect.arrayContaining(["backup:database", "backup:minio", "backup:offsite", "backup:retention"]),
    );
    expect(reports.at(-1)?.kind).toBe("manifest");
  });

  it("back-to-back backups get distinct timestamps; a fixed clock that collides is CONFLICT", async () => {
    const quiet = { docker, onProgress: () => undefined };
    const one = await runBackup(config, quiet);
    const two = await runBackup(config, quiet);
    expect(two.manifest.timestamp > one.manifest.timestamp).toBe(true);
    const fixed = new Date("2033-03-03T03:03:03Z");
    await runBackup(config, quiet, { now: fixed });
    const error = await rejection(runBackup(config, quiet, { now: fixed }));
    expect(isRewindError(error, "CONFLICT")).toBe(true);
  });

  it("a cancelled backup is CANCELLED and leaves nothing behind", async () => {
    const before = (await readdir(config.project.backupsDir)).sort();
    const controller = new AbortController();
    // Cancelled as the dump starts: pg_dump is stopped and the half-written backup removed.
    const onProgress = (event: { phase: string; state: string }): void => {
      if (event.phase === "database" && event.state === "running") controller.abort(new Error("operator cancelled"));
    };
    const error = await rejection(runBackup(config, { docker, onProgress, signal: controller.signal }, { now: new Date("2032-01-01T00:00:00Z") }));
    expect(isRewindError(error, "CANCELLED")).toBe(true);
    expect((await readdir(config.project.backupsDir)).sort()).toEqual(before);
  });

  it("a failing pg_dump leaves no partial file and reports pg_dump's error", async () => {
    const outFile = path.join(root, "broken.sql.gz");
    const error = await rejection(dumpDatabase({ binDir: cluster.bin, url: cluster.urlFor("no_such_db"), format: "plain-gzip", outFile }));
    expect(isRewindError(error, "STEP_FAILED")).toBe(true);
    expect((error as Error).message).toContain('database "no_such_db" does not exist');
    expect(await exists(outFile)).toBe(false);
  });

  it("a failed backup leaves no backup directory behind and a clear exit code", async () => {
    const broken = {
      ...rawConfig,
      project: { ...(rawConfig.project as object), database: { adminUrl: cluster.adminUrl, name: "no_such_db", binDir: cluster.bin } },
    };
    const brokenFile = path.join(root, "broken.json");
    await writeFile(brokenFile, JSON.stringify(broken));
    const before = (await readdir(config.project.backupsDir)).sort();
    const result = await rewind(["backup", "--config", brokenFile]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("UNAVAILABLE");
    expect((await readdir(config.project.backupsDir)).sort()).toEqual(before);

    const usage = await rewind(["backup", "--config", configFile, "--format", "zip"]);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain("BAD_REQUEST");
  });
});

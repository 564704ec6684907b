// The rollback tests' world: the demo stack running the broken v2 with v2 data, on top of a real
// backup (T6's runBackup) taken while v1 ran, in a git checkout with a v1 and a v2 commit, each
// holding the compose.yaml a real Compose ran it from. Everything is real: Compose, Docker
// containers and volume, a throwaway PostgreSQL cluster, git.
import { execFile } from "node:child_process";
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import type Docker from "dockerode";
import pg from "pg";
import { afterAll, afterEach, beforeAll, expect } from "vitest";
import { buildDemoImages, writeProjectSources } from "../../infra/demo-stack/images.ts";
import { DEMO_BUCKET, type DemoVersion } from "../../infra/demo-stack/services.ts";
import { type DemoStack, deployVersion, downStack, upStack, volumeDir, writeComposeFile } from "../../infra/demo-stack/stack.ts";
import type { AgentConfig } from "../../agent/src/config.ts";
import { parseAgentConfig } from "../../agent/src/config.ts";
import { listProjectContainers } from "../../agent/src/host/compose.ts";
import { setAsideDirOf } from "../../agent/src/host/set-aside-dir.ts";
import { runBackup } from "../../agent/src/backup/run-backup.ts";
import type { DumpFormat } from "../../agent/src/host/pg-dump.ts";
import type { BackupManifest } from "../../shared/schemas/manifest.ts";
import { createDemoDatabase, seedDemoDatabase, seedMinioData } from "../world/demo-data.ts";
import type { RollbackProgress } from "../../agent/src/rollback/executor.ts";
import type { RollbackReport } from "../../agent/src/rollback/report.ts";
import type { BackupSelector } from "../../agent/src/rollback/request.ts";
import { runRollback } from "../../agent/src/rollback/run-rollback.ts";
import { newRunId, removeLabelled, requireDocker, testLabels } from "../world/docker.ts";
import { type PgCluster, startPostgres } from "../world/postgres.ts";
import type { S3World } from "../world/s3.ts";

const run = promisify(execFile);

export interface Scenario {
  runId: string;
  root: string;
  configFile: string;
  config: AgentConfig;
  stack: DemoStack;
  database: string;
  databaseUrl: string;
  backupDir: string;
  manifest: BackupManifest;
  v1Commit: string;
  v2Commit: string;
  /** What the backup holds, to compare the restored state with. */
  v1: { tables: TableSnapshot; files: Record<string, string> };
  /** The v2 state the rollback sets aside. */
  v2: { tables: TableSnapshot; files: Record<string, string> };
  cleanup(): Promise<void>;
}

/** Every row of every demo table, plus each sequence's position: "equal to the backup" means all of it. */
export type TableSnapshot = Record<string, unknown>;

export async function snapshotDatabase(url: string): Promise<TableSnapshot> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const tables = await client.query<{ name: string }>(
      "SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY 1",
    );
    const snapshot: TableSnapshot = {};
    for (const { name } of tables.rows) {
      const rows = await client.query(`SELECT * FROM ${client.escapeIdentifier(name)} ORDER BY 1`);
      snapshot[`table:${name}`] = rows.rows;
    }
    const sequences = await client.query<{ name: string }>("SELECT sequencename AS name FROM pg_sequences WHERE schemaname = 'public' ORDER BY 1");
    for (const { name } of sequences.rows) {
      const state = await client.query(`SELECT last_value, is_called FROM ${client.escapeIdentifier(name)}`);
      snapshot[`sequence:${name}`] = state.rows[0];
    }
    return snapshot;
  } finally {
    await client.end();
  }
}

export async function snapshotFiles(dir: string): Promise<Record<string, string>> {
  const files: Record<string, string> = {};
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const full = path.join(entry.parentPath, entry.name);
    files[path.relative(dir, full)] = await readFile(full, "utf8");
  }
  return files;
}

async function git(dir: string, ...args: string[]): Promise<string> {
  const { stdout } = await run("git", ["-C", dir, ...args]);
  return stdout.trim();
}

/** A release's files besides compose.yaml: VERSION, and each service's build context when asked. */
async function writeVersion(dir: string, version: DemoVersion, withSources: boolean): Promise<void> {
  if (withSources) await writeProjectSources(dir, version);
  else await writeFile(path.join(dir, "VERSION"), `${version}\n`);
}

async function commitVersion(dir: string, version: DemoVersion): Promise<string> {
  await git(dir, "add", "-A");
  await git(dir, "-c", "user.name=test", "-c", "user.email=test@example.com", "commit", "-q", "-m", `release ${version}`);
  return git(dir, "rev-parse", "HEAD");
}

/** Rewrites the scenario's backup manifest on disk, as a hand edit (or a backup of changed files) would. */
export async function rewriteManifest(s: Scenario, change: (m: BackupManifest) => BackupManifest): Promise<void> {
  const file = path.join(s.backupDir, "manifest.json");
  await writeFile(file, JSON.stringify(change(JSON.parse(await readFile(file, "utf8")) as BackupManifest), null, 2));
}

export async function databaseNames(cluster: PgCluster): Promise<string[]> {
  const client = new pg.Client({ connectionString: cluster.adminUrl });
  await client.connect();
  try {
    return (await client.query<{ datname: string }>("SELECT datname FROM pg_database ORDER BY 1")).rows.map((r) => r.datname);
  } finally {
    await client.end();
  }
}

export interface ScenarioOptions {
  thresholds?: Partial<AgentConfig["thresholds"]>;
  /** Commit each service's Dockerfile and files, so the checkout can rebuild its images. */
  withSources?: boolean;
  /** Grow the v1 database by about this many MB (a `payload` table), for benchmarks. */
  extraDataMB?: number;
  /** The backup's dump format (pg_dump's custom format restores with `pg_restore -j`). */
  format?: DumpFormat;
  /** Configure this S3 server as the off-site copy (a bucket of the run's own) and copy the backup there. */
  offsite?: S3World;
  /**
   * Run a `postgres` service in the project (a stand-in: the real server is the host cluster) and
   * name it `project.database.service`, the service a full rollback keeps running.
   */
  databaseService?: boolean;
  /** The live database's name, from the run id (default `schedgen_<runId>`); cleanup drops every database naming the run id. */
  databaseName?: (runId: string) => string;
  /** CREATE DATABASE options for the live database (`TEMPLATE template0 ENCODING 'LATIN1' ...`). */
  createDatabase?: string;
  /** Runs on the v1 database just before the backup (large objects, grants...). */
  beforeBackup?: (url: string) => Promise<void>;
}

/** ~250 bytes a row on disk of hex text (compresses about as well as real text data). */
async function addPayload(url: string, megabytes: number): Promise<void> {
  const rows = Math.ceil((megabytes * 1024 * 1024) / 250);
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(
      `CREATE TABLE payload AS SELECT g AS id, md5(g::text) || md5((g * 7)::text) || md5((g * 13)::text) || md5((g * 31)::text)
         || md5((g * 37)::text) || md5((g * 41)::text) AS body FROM generate_series(1, ${rows}) AS g`,
    );
    await client.query("ALTER TABLE payload ADD PRIMARY KEY (id)");
  } finally {
    await client.end();
  }
}

/** v1 running → backup → deploy v2 (images, data, commit): the moment an operator reaches for a rollback. */
export async function prepareScenario(docker: Docker, cluster: PgCluster, options: ScenarioOptions = {}): Promise<Scenario> {
  const runId = newRunId();
  const project = `rwrb${runId}`;
  const root = await mkdtemp(path.join(tmpdir(), "rewind-rollback-"));
  const projectDir = path.join(root, "project");
  await mkdir(projectDir);
  await git(projectDir, "init", "-q", "-b", "main");
  await writeFile(path.join(projectDir, ".gitignore"), "backups/\n.last-deployment-backup\n");

  // A checkout with build contexts gets images of its own: a rollback's `compose build` tags what it
  // builds with the compose file's image names, which must not be the shared demo tags other runs use.
  const withSources = options.withSources ?? false;
  const runImages = withSources ? await buildDemoImages(docker, { runId }) : undefined;
  if (!withSources) await buildDemoImages(docker);
  const labels = testLabels(runId);
  const database = options.databaseName?.(runId) ?? `schedgen_${runId}`;
  const databaseUrl = await createDemoDatabase(cluster, "v1", database, options.createDatabase);
  if (options.extraDataMB) await addPayload(databaseUrl, options.extraDataMB);
  await options.beforeBackup?.(databaseUrl);
  await writeVersion(projectDir, "v1", withSources);
  // v1 runs from the compose.yaml its commit holds, as `docker compose up -d` in the checkout would.
  let stack = await upStack(docker, {
    project,
    version: "v1",
    labels,
    dir: projectDir,
    buildContexts: withSources,
    ...(runImages ? { images: runImages } : {}),
    database: options.databaseService ? "stand-in" : "none",
  });
  const v1Commit = await commitVersion(projectDir, "v1");
  const dataDir = await volumeDir(docker, stack.minioVolume);
  await seedMinioData(dataDir, "v1");

  const raw = {
    host: "rollback-test",
    stateDir: path.join(root, "state"),
    project: {
      name: project,
      dir: projectDir,
      infraServices: options.databaseService ? ["postgres", "minio"] : ["minio"],
      database: { adminUrl: cluster.adminUrl, name: database, binDir: cluster.bin, ...(options.databaseService ? { service: "postgres" } : {}) },
      minio: { volume: stack.minioVolume, buckets: [DEMO_BUCKET] },
      smokeChecks: [{ name: "backend health", url: `${stack.urls.backend}/health` }],
    },
    thresholds: { minFreeDiskBytes: 1024 ** 2, healthTimeoutSeconds: 60, watchSeconds: 0, stopTimeoutSeconds: 5, ...options.thresholds },
    log: { format: "pretty" },
    ...(options.offsite
      ? {
          offsite: {
            endpoint: options.offsite.endpoint,
            region: options.offsite.region,
            bucket: `rewind-offsite-${runId}`,
            accessKeyId: options.offsite.accessKeyId,
            secretAccessKey: options.offsite.secretAccessKey,
          },
        }
      : {}),
  };
  if (options.offsite) await options.offsite.createBucket(`rewind-offsite-${runId}`);
  const configFile = path.join(root, "agent.json");
  await writeFile(configFile, JSON.stringify(raw, null, 2));
  const config = parseAgentConfig(raw, configFile, root);

  // A benchmark's payload is too big to snapshot row by row; its row count is in the manifest.
  const snapshot = async () => (options.extraDataMB ? {} : await snapshotDatabase(databaseUrl));
  const v1 = { tables: await snapshot(), files: await snapshotFiles(dataDir) };
  const backup = await runBackup(
    config,
    { docker, onProgress: () => undefined },
    { ...(options.format ? { format: options.format } : {}), ...(options.offsite ? { offsite: true } : {}) },
  );

  await seedDemoDatabase(databaseUrl, "v2");
  await seedMinioData(dataDir, "v2");
  await writeVersion(projectDir, "v2", withSources);
  await writeComposeFile(stack, "v2");
  const v2Commit = await commitVersion(projectDir, "v2");
  stack = await deployVersion(docker, stack, "v2");
  const v2 = { tables: await snapshot(), files: await snapshotFiles(dataDir) };

  return {
    runId,
    root,
    configFile,
    config,
    stack,
    database,
    databaseUrl,
    backupDir: backup.dir,
    manifest: backup.manifest,
    v1Commit,
    v2Commit,
    v1,
    v2,
    async cleanup() {
      // The rollbacks' set-aside copies live outside the volume (set-aside-dir.ts): removed with the run.
      await rm(setAsideDirOf(dataDir), { recursive: true, force: true });
      await downStack(stack);
      await removeLabelled(docker, runId);
      await removeProjectTags(docker, project);
      // What a rollback's `compose build` built from the checkout carries the run's tags but not its labels.
      for (const tag of Object.values(runImages ?? {}).flatMap((byService) => Object.values(byService).map((image) => image.tag))) {
        await docker
          .getImage(tag)
          .remove({ force: true })
          .catch(() => undefined);
      }
      // Derived names of a long database name are cut at 63 bytes: they keep the run id, not always the whole name.
      for (const name of (await databaseNames(cluster)).filter((n) => n.startsWith(database) || n.includes(runId))) {
        const admin = new pg.Client({ connectionString: cluster.adminUrl });
        await admin.connect();
        await admin.query(`DROP DATABASE ${admin.escapeIdentifier(name)} WITH (FORCE)`).finally(() => admin.end());
      }
      await rm(root, { recursive: true, force: true });
    },
  };
}

/** Tag prefixes of this project's images: the backups' keep tags and the rollback's rebuilds. */
const projectTagPrefixes = (project: string): string[] => [`rewind-keep/${project}/`, `rewind-rebuild/${project}-`];

/** Tags a test run left on images: every backup taken (the fixture's, and any a test took) and every rebuild. */
export async function projectTags(docker: Docker, project: string): Promise<string[]> {
  const prefixes = projectTagPrefixes(project);
  const images = await docker.listImages();
  return images.flatMap((image) => image.RepoTags ?? []).filter((tag) => prefixes.some((prefix) => tag.startsWith(prefix)));
}

/** Untags only this project's images; the demo images they share with other runs stay. */
async function removeProjectTags(docker: Docker, project: string): Promise<void> {
  for (const tag of await projectTags(docker, project)) await docker.getImage(tag).remove({ noprune: true });
}

export async function gitHeadOf(dir: string): Promise<string> {
  return git(dir, "rev-parse", "HEAD");
}

export interface ScenarioPerTest {
  readonly docker: Docker;
  readonly cluster: PgCluster;
  /** A fresh scenario for the running test, cleaned up after it. */
  prepare(options?: ScenarioOptions): Promise<Scenario>;
  /** A full rollback of `s` (to its backup's directory unless `backup` names another). */
  rollback(s: Scenario, name: string, options?: { backup?: BackupSelector; onProgress?: (event: RollbackProgress) => void }): Promise<RollbackReport>;
}

/** Registers a test file's hooks: Docker and a PostgreSQL cluster for the file, one scenario per test. */
export function scenarioPerTest(): ScenarioPerTest {
  let docker: Docker | undefined;
  let cluster: PgCluster | undefined;
  let current: Scenario | undefined;
  beforeAll(async () => {
    docker = await requireDocker();
    cluster = await startPostgres();
  });
  afterEach(async () => {
    await current?.cleanup();
    current = undefined;
  });
  afterAll(async () => {
    await cluster?.stop();
  });
  const ready = <T>(value: T | undefined, what: string): T => {
    if (value === undefined) throw new Error(`${what} is not ready: use it inside a test`);
    return value;
  };
  const world: ScenarioPerTest = {
    get docker() {
      return ready(docker, "Docker");
    },
    get cluster() {
      return ready(cluster, "the PostgreSQL cluster");
    },
    async prepare(options) {
      current = await prepareScenario(world.docker, world.cluster, options);
      return current;
    },
    rollback(s, name, options = {}) {
      return runRollback(
        s.config,
        { rollbackId: `rb-${name}-${s.runId}`, backup: options.backup ?? { kind: "manifest", dir: s.backupDir }, mode: "full", reason: `test: ${name}` },
        { docker: world.docker, signal: new AbortController().signal, onProgress: options.onProgress ?? (() => undefined) },
      );
    },
  };
  return world;
}

/** Service, container id and state of every project container: what a refused rollback must not change. */
export async function containerStates(docker: Docker, s: Scenario): Promise<Array<[string, string, string]>> {
  return (await listProjectContainers(docker, s.config.project.name)).map((c) => [c.service, c.id, c.state]);
}

/** The rollback stopped in preflight, saying `reason`, with the containers as they were and the live database still v2. */
export async function expectRefusedInPreflight(
  docker: Docker,
  s: Scenario,
  report: RollbackReport,
  reason: string,
  before: Array<[string, string, string]>,
): Promise<void> {
  expect(report.state).toBe("failed");
  expect(report.error).toMatchObject({ step: "preflight", code: "PREFLIGHT_FAILED" });
  expect(report.error?.message).toContain(reason);
  expect(await containerStates(docker, s)).toEqual(before);
  expect(await snapshotDatabase(s.databaseUrl)).toEqual(s.v2.tables);
}

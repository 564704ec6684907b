// Rollback duration and downtime (first container stopped → every service healthy) for the demo
// stack at two database sizes: Rewind's engine (restore staged before downtime, swap by rename)
// beside the seed runbook's procedure timed in the same run on an identical host (stop, drop and
// recreate the database, `gunzip -c | psql`, tar extract into the volume, checkout, restart).
import { execFile, spawn } from "node:child_process";
import { readdir, rm } from "node:fs/promises";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { promisify } from "node:util";
import type Docker from "dockerode";
import pg from "pg";
import { listProjectContainers } from "../agent/src/host/compose.ts";
import { captureSpec, restoreContainer, stopContainer } from "../agent/src/host/docker-start.ts";
import { waitHealthy } from "../agent/src/host/health.ts";
import { volumeDataDir } from "../agent/src/host/volume.ts";
import { stopOrder, startOrder } from "../agent/src/rollback/order.ts";
import { runRollback } from "../agent/src/rollback/run-rollback.ts";
import { prepareScenario, type Scenario } from "../test/integration/rollback-fixture.ts";
import { requireDocker } from "../test/world/docker.ts";
import { type PgCluster, startPostgres } from "../test/world/postgres.ts";

const run = promisify(execFile);

export interface RollbackBenchRow {
  procedure: "rewind" | "seed runbook";
  databaseMB: number;
  totalSeconds: number;
  downtimeSeconds: number;
  /** Rewind only: where the time went, step by step. */
  steps?: string;
}

export interface RollbackRatioRow {
  databaseMB: number;
  /** rewind ÷ seed runbook, total duration (issue 15's goal: ≤ 1.15). */
  totalRatio: number;
  /** rewind ÷ seed runbook, downtime. */
  downtimeRatio: number;
}

const round = (n: number, digits = 1): number => Number(n.toFixed(digits));
const seconds = (fromMs: number): number => (performance.now() - fromMs) / 1000;

async function databaseMB(url: string): Promise<number> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const result = await client.query<{ bytes: string }>("SELECT pg_database_size(current_database()) AS bytes");
    return round(Number(result.rows[0]?.bytes ?? 0) / 1024 ** 2, 0);
  } finally {
    await client.end();
  }
}

async function measureRewind(docker: Docker, s: Scenario): Promise<RollbackBenchRow> {
  const size = await databaseMB(s.databaseUrl);
  const started = performance.now();
  const report = await runRollback(
    s.config,
    { rollbackId: `bench-${s.runId}`, backup: { kind: "manifest", dir: s.backupDir }, mode: "full", reason: "benchmark" },
    { docker, signal: new AbortController().signal, onProgress: () => undefined },
  );
  if (report.state !== "succeeded") throw new Error(`rewind rollback ended ${report.state}: ${report.error?.message}`);
  const steps = report.steps.map((step) => `${step.id} ${round((step.durationMs ?? 0) / 1000)}`).join(", ");
  return {
    procedure: "rewind",
    databaseMB: size,
    totalSeconds: round(seconds(started)),
    downtimeSeconds: round((report.downtimeMs ?? 0) / 1000),
    steps,
  };
}

function shell(command: string, env: NodeJS.ProcessEnv): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn("bash", ["-o", "pipefail", "-c", command], { env: { ...process.env, ...env }, stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on("close", (code) => (code === 0 ? resolve() : reject(new Error(`${command} exited ${code}: ${stderr.slice(-2000)}`))));
  });
}

/** The seed's rollback.sh, step for step, everything inside the downtime. */
async function measureSeed(docker: Docker, cluster: PgCluster, s: Scenario): Promise<RollbackBenchRow> {
  const size = await databaseMB(s.databaseUrl);
  const { config, manifest } = s;
  const containers = await listProjectContainers(docker, config.project.name);
  const specs = await Promise.all(containers.map((c) => captureSpec(docker, c.id, c.service)));
  const started = performance.now();
  for (const spec of stopOrder(specs, config.project.infraServices)) await stopContainer(docker, spec.name, config.thresholds.stopTimeoutSeconds);
  const admin = new pg.Client({ connectionString: cluster.adminUrl });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE ${admin.escapeIdentifier(s.database)} WITH (FORCE)`);
    await admin.query(`CREATE DATABASE ${admin.escapeIdentifier(s.database)}`);
  } finally {
    await admin.end();
  }
  const dump = path.join(s.backupDir, manifest.database?.file.path ?? "");
  await shell(`gunzip -c "$DUMP" | "$PSQL" -q -v ON_ERROR_STOP=1 -d "$URL" >/dev/null`, {
    DUMP: dump,
    PSQL: path.join(cluster.bin, "psql"),
    URL: s.databaseUrl,
  });
  const dataDir = await volumeDataDir(docker, config.project.minio?.volume ?? "");
  for (const entry of await readdir(dataDir)) await rm(path.join(dataDir, entry), { recursive: true, force: true });
  await run("tar", ["xzf", path.join(s.backupDir, manifest.minio?.file.path ?? ""), "-C", dataDir]);
  await run("git", ["-C", config.project.dir, "checkout", "-q", manifest.git.commit]);
  const images = Object.fromEntries(manifest.services.map((svc) => [svc.service, svc.imageId]));
  for (const spec of startOrder(specs, config.project.infraServices)) await restoreContainer(docker, spec, images[spec.service] ?? spec.imageId);
  await waitHealthy(
    docker,
    config.project.name,
    specs.map((spec) => spec.service),
    config.thresholds.healthTimeoutSeconds * 1000,
  );
  const total = round(seconds(started));
  return { procedure: "seed runbook", databaseMB: size, totalSeconds: total, downtimeSeconds: total };
}

async function withScenario<T>(docker: Docker, cluster: PgCluster, extraDataMB: number, work: (s: Scenario) => Promise<T>): Promise<T> {
  const scenario = await prepareScenario(docker, cluster, { extraDataMB, thresholds: { healthTimeoutSeconds: 120 } });
  try {
    return await work(scenario);
  } finally {
    await scenario.cleanup();
  }
}

/** One Rewind rollback and one seed-procedure rollback per size, each on a freshly prepared demo host. */
export async function rollbackBench(sizesMB: readonly number[] = [32, 512]): Promise<{ rows: RollbackBenchRow[]; ratios: RollbackRatioRow[] }> {
  const docker = await requireDocker();
  const cluster = await startPostgres();
  const rows: RollbackBenchRow[] = [];
  const ratios: RollbackRatioRow[] = [];
  try {
    for (const size of sizesMB) {
      const rewind = await withScenario(docker, cluster, size, (s) => measureRewind(docker, s));
      const seed = await withScenario(docker, cluster, size, (s) => measureSeed(docker, cluster, s));
      rows.push(rewind, seed);
      ratios.push({
        databaseMB: rewind.databaseMB,
        totalRatio: round(rewind.totalSeconds / seed.totalSeconds, 2),
        downtimeRatio: round(rewind.downtimeSeconds / seed.downtimeSeconds, 2),
      });
    }
    return { rows, ratios };
  } finally {
    await cluster.stop();
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const sizes = process.argv
    .slice(2)
    .map(Number)
    .filter((n) => n > 0);
  const { rows, ratios } = await rollbackBench(sizes.length > 0 ? sizes : undefined);
  console.log("rollback of the demo stack: total duration and downtime (first container stopped → all healthy)");
  console.table(rows);
  console.log("rewind ÷ seed runbook (below 1 means rewind is faster)");
  console.table(ratios);
}

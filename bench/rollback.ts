// Rollback duration and downtime (first container stopped → every service healthy) for the demo
// stack at two database sizes: Rewind's engine (restore staged before downtime, swap by rename)
// beside the seed runbook's procedure timed in the same run on an identical host (stop, drop and
// recreate the database, `gunzip -c | psql`, tar extract into the volume, checkout, restart).
import { execFile } from "node:child_process";
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
import { alternating, median, shell } from "./rounds.ts";

const run = promisify(execFile);

export interface RollbackBenchRow {
  procedure: "rewind" | "seed runbook";
  databaseMB: number;
  totalSeconds: number;
  downtimeSeconds: number;
  /** Rewind only: where the time went, step by step. */
  steps?: string;
}

/** One procedure at one size over the rounds: medians, and the spread the rounds showed. */
export interface RollbackSummaryRow extends RollbackBenchRow {
  rounds: number;
  /** Fastest and slowest total of the rounds, in seconds. */
  totalRange: [number, number];
}

export interface RollbackRatioRow {
  databaseMB: number;
  /** rewind ÷ seed runbook, median total duration (issue 15's goal: ≤ 1.15). */
  totalRatio: number;
  /** rewind ÷ seed runbook, median downtime. */
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

/** The median round (by total) stands for the procedure; its steps are that round's. */
function summarize(runs: readonly RollbackBenchRow[]): RollbackSummaryRow {
  const totals = runs.map((r) => r.totalSeconds);
  const middle = [...runs].sort((a, b) => a.totalSeconds - b.totalSeconds)[Math.floor((runs.length - 1) / 2)];
  if (!middle) throw new Error("no rollback was measured");
  return {
    ...middle,
    totalSeconds: round(median(totals)),
    downtimeSeconds: round(median(runs.map((r) => r.downtimeSeconds))),
    rounds: runs.length,
    totalRange: [Math.min(...totals), Math.max(...totals)],
  };
}

/**
 * Per size, `rounds` Rewind rollbacks and as many seed-procedure ones, each on a freshly prepared
 * demo host, in ABBA order (rewind, seed, seed, rewind, …) so neither procedure always runs first on
 * a machine whose load drifts; the ratio is taken between the medians.
 */
export async function rollbackBench(sizesMB: readonly number[] = [32, 512], rounds = 3): Promise<{ rows: RollbackSummaryRow[]; ratios: RollbackRatioRow[] }> {
  const docker = await requireDocker();
  const cluster = await startPostgres();
  const rows: RollbackSummaryRow[] = [];
  const ratios: RollbackRatioRow[] = [];
  try {
    for (const size of sizesMB) {
      const runs: Record<RollbackBenchRow["procedure"], RollbackBenchRow[]> = { rewind: [], "seed runbook": [] };
      for (const procedure of alternating(rounds, "rewind", "seed runbook") satisfies RollbackBenchRow["procedure"][]) {
        const measure = procedure === "rewind" ? (s: Scenario) => measureRewind(docker, s) : (s: Scenario) => measureSeed(docker, cluster, s);
        runs[procedure].push(await withScenario(docker, cluster, size, measure));
      }
      const rewind = summarize(runs.rewind);
      const seed = summarize(runs["seed runbook"]);
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

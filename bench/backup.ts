// Backup throughput (MB of database per second) and peak memory at two database sizes: the real
// `rewind backup` CLI beside `pg_dump | gzip` run alone on the same database. Memory must stay
// flat as the database grows (the dump is streamed, never buffered). Peak RSS is GNU time's %M:
// the largest resident set among the measured process and the children it waited for.
import { execFile, spawn } from "node:child_process";
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { promisify } from "node:util";
import pg from "pg";
import { type PgCluster, startPostgres } from "../test/world/postgres.ts";
import { newRunId, requireDocker } from "../test/world/docker.ts";

const run = promisify(execFile);
const repoRoot = path.resolve(import.meta.dirname, "..");
const GNU_TIME = "/usr/bin/time";
const MB = 1024 * 1024;

export interface BackupBenchRow {
  tool: "rewind backup" | "pg_dump | gzip";
  databaseMB: number;
  seconds: number;
  throughputMBps: number;
  archiveMB: number;
  peakRssMB: number;
}

const round = (n: number, digits = 1): number => Number(n.toFixed(digits));

/** Runs a command under GNU time; resolves with wall seconds and peak RSS (the last stderr line). */
function timed(file: string, args: string[], env?: NodeJS.ProcessEnv): Promise<{ seconds: number; peakRssMB: number; stdout: string }> {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn(GNU_TIME, ["-f", "%M", file, ...args], { cwd: repoRoot, env: { ...process.env, ...env } });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on("error", reject);
    child.on("close", (code) => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      if (code !== 0) {
        reject(new Error(`${file} ${args.join(" ")} exited with ${code}: ${stderr.slice(-2000)}`));
        return;
      }
      const kb = Number(stderr.trim().split("\n").at(-1));
      resolve({ seconds, peakRssMB: kb / 1024, stdout });
    });
  });
}

/** Fills the database with incompressible-ish rows until it is about `targetMB` on disk. */
async function fill(url: string, targetMB: number): Promise<number> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query("CREATE TABLE IF NOT EXISTS payload (id bigserial PRIMARY KEY, a text NOT NULL, b text NOT NULL, n integer NOT NULL)");
    for (;;) {
      const { rows } = await client.query<{ size: string }>("SELECT pg_database_size(current_database()) AS size");
      const size = Number(rows[0]?.size ?? 0) / MB;
      if (size >= targetMB) return size;
      // About 170 bytes per row on disk with the index.
      const batch = Math.min(500_000, Math.ceil(((targetMB - size) * MB) / 170));
      await client.query("INSERT INTO payload (a, b, n) SELECT md5(random()::text) || md5(random()::text), md5(i::text), i FROM generate_series(1, $1) AS i", [
        batch,
      ]);
    }
  } finally {
    await client.end();
  }
}

async function createDatabase(cluster: PgCluster, name: string): Promise<string> {
  const admin = new pg.Client({ connectionString: cluster.adminUrl });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(name)}`);
    await admin.query(`CREATE DATABASE ${pg.escapeIdentifier(name)}`);
  } finally {
    await admin.end();
  }
  return cluster.urlFor(name);
}

async function measureSize(cluster: PgCluster, root: string, targetMB: number): Promise<BackupBenchRow[]> {
  const name = `bench_${targetMB}`;
  const url = await createDatabase(cluster, name);
  const databaseMB = await fill(url, targetMB);

  const baselineOut = path.join(root, `${name}.sql.gz`);
  const pgDump = path.join(cluster.bin, "pg_dump");
  const baseline = await timed("bash", ["-o", "pipefail", "-c", `'${pgDump}' --dbname='${url}' | gzip > '${baselineOut}'`]);
  const baselineMB = (await stat(baselineOut)).size / MB;
  await rm(baselineOut);

  const projectDir = path.join(root, `project-${targetMB}`);
  await mkdir(projectDir, { recursive: true });
  await run("git", ["-C", projectDir, "init", "--quiet", "--initial-branch=main"]);
  await run("git", ["-C", projectDir, "-c", "user.email=b@example.com", "-c", "user.name=b", "commit", "--quiet", "--allow-empty", "-m", "bench"]);
  const configFile = path.join(root, `agent-${targetMB}.json`);
  await writeFile(
    configFile,
    JSON.stringify({
      host: "bench-host",
      stateDir: path.join(root, `state-${targetMB}`),
      // A project with no containers: the bench measures the dump, not Docker.
      project: { name: `rwbench-${newRunId()}`, dir: projectDir, database: { adminUrl: cluster.adminUrl, name, binDir: cluster.bin } },
    }),
  );
  const rewind = await timed(process.execPath, [path.join(repoRoot, "bin/rewind.js"), "backup", "--config", configFile, "--json"]);
  const result = JSON.parse(rewind.stdout) as { dir: string; manifest: { database?: { file: { bytes: number } } } };
  const rewindMB = (result.manifest.database?.file.bytes ?? 0) / MB;
  await rm(result.dir, { recursive: true, force: true });

  return [
    {
      tool: "pg_dump | gzip",
      databaseMB: round(databaseMB),
      seconds: round(baseline.seconds, 2),
      throughputMBps: round(databaseMB / baseline.seconds),
      archiveMB: round(baselineMB),
      peakRssMB: round(baseline.peakRssMB),
    },
    {
      tool: "rewind backup",
      databaseMB: round(databaseMB),
      seconds: round(rewind.seconds, 2),
      throughputMBps: round(databaseMB / rewind.seconds),
      archiveMB: round(rewindMB),
      peakRssMB: round(rewind.peakRssMB),
    },
  ];
}

/** Measures both tools at each database size (MB on disk); the default sizes differ by 4×. */
export async function backupBench(sizesMB: readonly number[] = [64, 256]): Promise<BackupBenchRow[]> {
  await readFile(GNU_TIME).catch((error: unknown) => {
    throw new Error(`${GNU_TIME} not found: apt-get install -y time`, { cause: error });
  });
  // The backup lists the compose project's containers: the engine must answer even with none.
  await requireDocker();
  const cluster = await startPostgres();
  const root = await mkdtemp(path.join(tmpdir(), "rewind-bench-backup-"));
  try {
    const rows: BackupBenchRow[] = [];
    for (const size of sizesMB) rows.push(...(await measureSize(cluster, root, size)));
    return rows;
  } finally {
    await cluster.stop();
    await rm(root, { recursive: true, force: true });
  }
}

/** How much more memory the backup needed at the largest size than at the smallest. */
export function rssGrowth(rows: readonly BackupBenchRow[], tool: BackupBenchRow["tool"]): number {
  const mine = rows.filter((r) => r.tool === tool).sort((a, b) => a.databaseMB - b.databaseMB);
  const first = mine[0];
  const last = mine.at(-1);
  return first === undefined || last === undefined ? 0 : round(last.peakRssMB - first.peakRssMB);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const rows = await backupBench();
  console.log("backup throughput (database MB/s) and peak RSS, rewind backup vs pg_dump | gzip");
  console.table(rows);
  console.log(
    `peak RSS growth from smallest to largest database: rewind backup ${rssGrowth(rows, "rewind backup")} MB, pg_dump | gzip ${rssGrowth(rows, "pg_dump | gzip")} MB`,
  );
}

// PostgreSQL side of a rollback: restore a dump into a side database while the live one keeps
// serving (the swap by renames is in postgres-swap.ts). A gzipped plain dump is
// streamed file → gunzip → psql (ON_ERROR_STOP: a broken dump fails, not half-loads); pg_dump's
// custom format goes through `pg_restore -j` so tables and indexes load in parallel.
import { spawn } from "node:child_process";
import { createReadStream } from "node:fs";
import { availableParallelism } from "node:os";
import path from "node:path";
import { pipeline } from "node:stream/promises";
import { createGunzip } from "node:zlib";
import pg from "pg";
import { RewindError } from "../../../shared/errors.ts";
import type { BackupManifest } from "../../../shared/schemas/manifest.ts";
import { connectionFor } from "./pg-dump.ts";

export interface PgTarget {
  /** Superuser-capable URL of the maintenance database. */
  adminUrl: string;
  binDir: string;
}

export function urlForDatabase(adminUrl: string, db: string): string {
  const url = new URL(adminUrl);
  url.pathname = `/${encodeURIComponent(db)}`;
  return url.toString();
}

export async function withAdmin<T>(adminUrl: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: adminUrl });
  try {
    await client.connect();
  } catch (error) {
    throw new RewindError("UNAVAILABLE", `PostgreSQL is not reachable: ${(error as Error).message}`, { retryable: true, cause: error });
  }
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

export async function pingPostgres(adminUrl: string): Promise<string> {
  return withAdmin(adminUrl, async (client) => {
    const result = await client.query<{ version: string }>("SHOW server_version");
    return result.rows[0]?.version ?? "unknown";
  });
}

/** The server's data directory, to measure free disk when the server runs on this host. */
export async function dataDirectory(adminUrl: string): Promise<string | undefined> {
  return withAdmin(adminUrl, async (client) => {
    const result = await client.query<{ data_directory: string }>("SHOW data_directory");
    return result.rows[0]?.data_directory;
  });
}

export async function databaseExists(adminUrl: string, db: string): Promise<boolean> {
  return withAdmin(adminUrl, async (client) => {
    const result = await client.query("SELECT 1 FROM pg_database WHERE datname = $1", [db]);
    return (result.rowCount ?? 0) > 0;
  });
}

/** Drop a database, closing its sessions first (PostgreSQL 13+: WITH (FORCE)). */
export async function dropDatabase(adminUrl: string, db: string): Promise<void> {
  await withAdmin(adminUrl, async (client) => {
    await client.query(`DROP DATABASE IF EXISTS ${client.escapeIdentifier(db)} WITH (FORCE)`);
  });
}

/** Create `stage` afresh, owned like `live` (when it exists) so the app's role keeps its rights. */
async function createStage(adminUrl: string, live: string, stage: string): Promise<void> {
  await withAdmin(adminUrl, async (client) => {
    await client.query(`DROP DATABASE IF EXISTS ${client.escapeIdentifier(stage)} WITH (FORCE)`);
    const owner = await client.query<{ owner: string }>(
      "SELECT pg_get_userbyid(datdba) AS owner FROM pg_database WHERE datname = $1",
      [live],
    );
    const ownerName = owner.rows[0]?.owner;
    const ownerClause = ownerName ? ` OWNER ${client.escapeIdentifier(ownerName)}` : "";
    await client.query(`CREATE DATABASE ${client.escapeIdentifier(stage)}${ownerClause}`);
  });
}

/** How the dump was written (the manifest's `database.format`). */
export type DumpFormat = NonNullable<BackupManifest["database"]>["format"];

/** Runs a PostgreSQL client tool to the end; a non-zero exit is STEP_FAILED with its stderr tail. */
async function runTool(
  bin: string,
  args: string[],
  what: string,
  options: { signal?: AbortSignal; env?: Record<string, string>; stdin?: (stdin: NodeJS.WritableStream) => Promise<unknown> } = {},
): Promise<void> {
  const child = spawn(bin, args, {
    stdio: [options.stdin ? "pipe" : "ignore", "ignore", "pipe"],
    env: { ...process.env, ...options.env },
    signal: options.signal,
  });
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr = (stderr + chunk.toString("utf8")).slice(-4000);
  });
  const exited = new Promise<number>((resolve, reject) => {
    child.on("error", (error: NodeJS.ErrnoException) =>
      reject(
        error.code === "ENOENT"
          ? new RewindError("CONFIG_INVALID", `${bin} not found: install the PostgreSQL client (apt-get install postgresql-client) or set project.database.binDir`, { cause: error })
          : error,
      ),
    );
    child.on("close", (code) => resolve(code ?? 1));
  });
  // psql closing its stdin early (on the first error) surfaces as EPIPE here; its exit code says why.
  const fed = options.stdin && child.stdin ? options.stdin(child.stdin).then(() => undefined, (error: unknown) => error) : Promise.resolve(undefined);
  const [feedError, code] = await Promise.all([fed, exited]);
  if (code !== 0) throw new RewindError("STEP_FAILED", `${what} failed (${path.basename(bin)} exit ${code}): ${stderr.trim()}`);
  if (feedError) throw new RewindError("STEP_FAILED", `${what}: reading the dump failed: ${(feedError as Error).message}`, { cause: feedError });
}

/** Parallel jobs for pg_restore: one per CPU, at most four (beyond that the disk is the limit). */
const restoreJobs = (): number => Math.max(1, Math.min(4, availableParallelism()));

/** Reads a custom-format dump's table of contents: fails unless pg_restore can read the whole archive header. */
export async function listCustomDump(binDir: string, dumpFile: string, signal?: AbortSignal): Promise<void> {
  await runTool(path.join(binDir, "pg_restore"), ["--list", dumpFile], `reading the table of contents of ${path.basename(dumpFile)}`, signal ? { signal } : {});
}

/** Restore `dumpFile` into a fresh `stage` database; a failure drops `stage` and leaves `live` alone. */
export async function restoreIntoStage(
  target: PgTarget,
  dump: { file: string; format: DumpFormat },
  live: string,
  stage: string,
  signal?: AbortSignal,
): Promise<void> {
  await createStage(target.adminUrl, live, stage);
  // The password goes in the environment, never on a command line `ps` shows.
  const { dbname: url, env } = connectionFor(urlForDatabase(target.adminUrl, stage));
  const what = `restoring ${path.basename(dump.file)} into ${stage}`;
  try {
    if (dump.format === "plain-gzip") {
      await runTool(
        path.join(target.binDir, "psql"),
        ["--no-psqlrc", "--quiet", "-v", "ON_ERROR_STOP=1", "--single-transaction", "--dbname", url],
        what,
        { env, ...(signal ? { signal } : {}), stdin: (stdin) => pipeline(createReadStream(dump.file, { highWaterMark: 1024 * 1024 }), createGunzip(), stdin) },
      );
    } else {
      // -j cannot run in one transaction; --exit-on-error stops at the first failure, and the
      // half-loaded stage is dropped below, so the live database never sees it either way.
      await runTool(
        path.join(target.binDir, "pg_restore"),
        ["--exit-on-error", "--jobs", String(restoreJobs()), "--dbname", url, dump.file],
        what,
        { env, ...(signal ? { signal } : {}) },
      );
    }
  } catch (error) {
    await dropDatabase(target.adminUrl, stage);
    throw error;
  }
}

/** Databases whose name starts with `prefix`, oldest first (by oid, i.e. creation order). */
export async function databasesWithPrefix(adminUrl: string, prefix: string): Promise<string[]> {
  return withAdmin(adminUrl, async (client) => {
    const result = await client.query<{ datname: string }>(
      "SELECT datname FROM pg_database WHERE starts_with(datname, $1) ORDER BY oid",
      [prefix],
    );
    return result.rows.map((r) => r.datname);
  });
}

// PostgreSQL side of a rollback: restore a gzipped plain dump into a side database while the live one
// keeps serving, then swap the two by renaming (seconds, whatever the size). The dump is streamed
// file → gunzip → psql, never held in memory; ON_ERROR_STOP makes a broken dump fail, not half-load.
import { spawn } from "node:child_process";
import { createReadStream } from "node:fs";
import path from "node:path";
import { pipeline } from "node:stream/promises";
import { createGunzip } from "node:zlib";
import pg from "pg";
import { RewindError } from "../../../shared/errors.ts";

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

async function withAdmin<T>(adminUrl: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
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

async function exists(client: pg.Client, db: string): Promise<boolean> {
  const result = await client.query("SELECT 1 FROM pg_database WHERE datname = $1", [db]);
  return (result.rowCount ?? 0) > 0;
}

async function terminate(client: pg.Client, db: string): Promise<void> {
  await client.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()", [db]);
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

/** Restore `dumpFile` (gzipped plain SQL) into a fresh `stage` database; a failure drops `stage` and leaves `live` alone. */
export async function restoreIntoStage(
  target: PgTarget,
  dumpFile: string,
  live: string,
  stage: string,
  signal?: AbortSignal,
): Promise<void> {
  await createStage(target.adminUrl, live, stage);
  const psql = spawn(
    path.join(target.binDir, "psql"),
    ["--no-psqlrc", "--quiet", "-v", "ON_ERROR_STOP=1", "--single-transaction", "--dbname", urlForDatabase(target.adminUrl, stage)],
    { stdio: ["pipe", "ignore", "pipe"], signal },
  );
  let stderr = "";
  psql.stderr.on("data", (chunk: Buffer) => {
    stderr = (stderr + chunk.toString("utf8")).slice(-4000);
  });
  const exited = new Promise<number>((resolve, reject) => {
    psql.on("error", reject);
    psql.on("close", (code) => resolve(code ?? 1));
  });
  try {
    // psql closing its stdin early (on the first error) surfaces as EPIPE here; its exit code says why.
    const fed = pipeline(createReadStream(dumpFile, { highWaterMark: 1024 * 1024 }), createGunzip(), psql.stdin).catch((error: unknown) => error);
    const [feedError, code] = await Promise.all([fed, exited]);
    if (code !== 0) {
      throw new RewindError("STEP_FAILED", `restoring ${path.basename(dumpFile)} into ${stage} failed (psql exit ${code}): ${stderr.trim()}`);
    }
    if (feedError) {
      throw new RewindError("STEP_FAILED", `reading ${path.basename(dumpFile)} failed: ${(feedError as Error).message}`, { cause: feedError });
    }
  } catch (error) {
    await dropDatabase(target.adminUrl, stage);
    throw error;
  }
}

async function rename(client: pg.Client, from: string, to: string): Promise<void> {
  // Sessions can sneak back in between terminate and rename (a pooler reconnecting); retry a few times.
  for (let attempt = 1; ; attempt++) {
    await terminate(client, from);
    try {
      await client.query(`ALTER DATABASE ${client.escapeIdentifier(from)} RENAME TO ${client.escapeIdentifier(to)}`);
      return;
    } catch (error) {
      const busy = (error as { code?: string }).code === "55006";
      if (!busy || attempt >= 5) {
        throw new RewindError("STEP_FAILED", `renaming database ${from} to ${to} failed: ${(error as Error).message}`, { cause: error });
      }
      await new Promise((resolve) => setTimeout(resolve, 200 * attempt));
    }
  }
}

export interface DatabaseSwapNames {
  live: string;
  stage: string;
  aside: string;
}

/** live → aside, stage → live. Idempotent: resumes a swap cut between its two renames. */
export async function swapDatabases(adminUrl: string, names: DatabaseSwapNames): Promise<void> {
  await withAdmin(adminUrl, async (client) => {
    const [live, stage, aside] = [await exists(client, names.live), await exists(client, names.stage), await exists(client, names.aside)];
    if (aside && live && !stage) return;
    if (!stage) throw new RewindError("STEP_FAILED", `the staged database ${names.stage} is missing; run the stage step again`);
    if (live && aside) {
      throw new RewindError("STEP_FAILED", `both ${names.live} and ${names.aside} exist beside the staged copy; inspect them by hand`);
    }
    if (live) await rename(client, names.live, names.aside);
    await rename(client, names.stage, names.live);
  });
}

/** The reverse: drop the restored copy now live, and rename the set-aside database back. */
export async function unswapDatabases(adminUrl: string, names: DatabaseSwapNames): Promise<void> {
  await withAdmin(adminUrl, async (client) => {
    if (!(await exists(client, names.aside))) return;
    if (await exists(client, names.live)) {
      await client.query(`DROP DATABASE ${client.escapeIdentifier(names.live)} WITH (FORCE)`);
    }
    await rename(client, names.aside, names.live);
  });
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

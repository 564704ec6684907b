// The staged database a rollback swaps in: created like the live one (template0, its encoding,
// locale, owner), loaded from the dump while the live one keeps serving, analysed, then given the
// live database's connection limit, ACL, settings and comment. A gzipped plain dump streams
// file → (each piece checked against the manifest, when it lists pieces) → gunzip → psql; pg_dump's custom format goes through `pg_restore -j`. Any failure drops
// the stage, so the live database never sees a half-loaded copy.
import type { FileHandle } from "node:fs/promises";
import { availableParallelism } from "node:os";
import path from "node:path";
import { pipeline } from "node:stream/promises";
import type pg from "pg";
import { RewindError } from "../../../shared/errors.ts";
import type { BackupManifest } from "../../../shared/schemas/manifest.ts";
import { DUMP_COMPLETE_TRAILER, DumpTail } from "../backup/dump-trailer.ts";
import { type ExpectedPieces, verifiedPieces } from "../backup/pieces.ts";
import { openInside } from "../backup/real-location.ts";
import {
  type AclGrant,
  createDatabaseSql,
  type DatabaseProperties,
  defaultProperties,
  finishDatabaseSql,
  propertiesFromRow,
  type RoleSetting,
} from "./database-properties.ts";
import { gunzipStream } from "./gunzip.ts";
import { withPg } from "./pg-connect.ts";
import { toolEnv } from "./pg-dump.ts";
import { type PgTimeouts, pgTimeoutDefaults } from "./pg-timeouts.ts";
import { inheritedInputPath, runPgTool } from "./pg-tool.ts";
import { urlForDatabase } from "./postgres-restore.ts";
import { dropDatabaseWithOid } from "./postgres-swap.ts";

export interface PgTarget {
  /** Superuser-capable URL of the maintenance database. */
  adminUrl: string;
  binDir: string;
  timeouts?: PgTimeouts;
}

/** How the dump was written (the manifest's `database.format`). */
export type DumpFormat = NonNullable<BackupManifest["database"]>["format"];

const privileges = new Set<string>(["CREATE", "TEMPORARY", "CONNECT"]);

/** The database's properties, or undefined when it does not exist. */
export async function readDatabaseProperties(client: pg.Client, db: string): Promise<DatabaseProperties | undefined> {
  const found = await client.query<{
    db: Record<string, unknown>;
    encoding: string;
    owner: string;
    tablespace: string;
    comment: string | null;
    default_acl: boolean;
  }>(
    `SELECT to_jsonb(d) AS db, pg_encoding_to_char(d.encoding) AS encoding, pg_get_userbyid(d.datdba) AS owner,
            t.spcname AS tablespace, shobj_description(d.oid, 'pg_database') AS comment, d.datacl IS NULL AS default_acl
       FROM pg_database d JOIN pg_tablespace t ON t.oid = d.dattablespace WHERE d.datname = $1`,
    [db],
  );
  const row = found.rows[0];
  if (!row) return undefined;
  const grants = await client.query<AclGrant>(
    `SELECT pg_get_userbyid(a.grantor) AS grantor, CASE WHEN a.grantee = 0 THEN NULL ELSE pg_get_userbyid(a.grantee) END AS grantee,
            a.privilege_type AS privilege, a.is_grantable AS grantable
       FROM pg_database d, aclexplode(d.datacl) a WHERE d.datname = $1`,
    [db],
  );
  const unknown = grants.rows.find((grant) => !privileges.has(grant.privilege));
  if (unknown) throw new RewindError("INTERNAL", `database ${db} has a privilege Rewind cannot copy: ${unknown.privilege}`);
  const settings = await client.query<RoleSetting>(
    `SELECT CASE WHEN s.setrole = 0 THEN NULL ELSE pg_get_userbyid(s.setrole) END AS role, s.setconfig AS config
       FROM pg_db_role_setting s JOIN pg_database d ON d.oid = s.setdatabase WHERE d.datname = $1 ORDER BY s.setrole`,
    [db],
  );
  return propertiesFromRow({ ...row, acl: row.default_acl ? null : grants.rows, settings: settings.rows });
}

/** The live database's properties, or a plain new database's (template1's locale) when there is no live one. */
async function propertiesToCopy(client: pg.Client, live: string): Promise<DatabaseProperties> {
  const properties = await readDatabaseProperties(client, live);
  if (properties) return properties;
  const template = await readDatabaseProperties(client, "template1");
  if (!template) throw new RewindError("STEP_FAILED", "the server has no template1 database to take default locale settings from");
  return defaultProperties(template);
}

/** Runs statements in one transaction: the stage gets all of the live properties or none. */
async function inTransaction(client: pg.Client, statements: string[]): Promise<void> {
  await client.query("BEGIN");
  try {
    for (const sql of statements) await client.query(sql);
    await client.query("COMMIT");
  } catch (error) {
    await client.query("ROLLBACK");
    throw error;
  }
}

/** Parallel jobs for pg_restore: one per CPU, at most four (beyond that the disk is the limit). */
const restoreJobs = (): number => Math.max(1, Math.min(4, availableParallelism()));

/** A dump file and the backup directory it must really be inside when it is opened. */
export interface DumpSource {
  file: string;
  format: DumpFormat;
  within: string;
  /** A plain dump's pieces from its manifest: psql then reads only bytes already checked against them. */
  pieces?: ExpectedPieces;
}

/** The dump opened for reading, refused (BACKUP_INVALID) unless the file opened is inside its backup directory; closed after `work`. */
async function withDump<T>(dump: Pick<DumpSource, "file" | "within">, work: (source: FileHandle) => Promise<T>): Promise<T> {
  const source = await openInside(dump.within, dump.file, "the database dump", "its backup directory");
  try {
    return await work(source);
  } finally {
    await source.close();
  }
}

/** Reads a custom-format dump's table of contents: fails unless pg_restore can read the whole archive header. */
export async function listCustomDump(
  binDir: string,
  dump: Pick<DumpSource, "file" | "within">,
  signal?: AbortSignal,
  timeouts: PgTimeouts = pgTimeoutDefaults,
): Promise<void> {
  await withDump(dump, (input) =>
    runPgTool({
      bin: path.join(binDir, "pg_restore"),
      args: ["--list", inheritedInputPath],
      input,
      what: `reading the table of contents of ${path.basename(dump.file)}`,
      timeoutSeconds: timeouts.toolSeconds,
      ...(signal ? { signal } : {}),
    }),
  );
}

async function loadDump(target: PgTarget, dump: DumpSource, stage: string, signal: AbortSignal | undefined): Promise<void> {
  const timeouts = target.timeouts ?? pgTimeoutDefaults;
  // The password goes in the environment, never on a command line `ps` shows.
  const { dbname: url, env } = toolEnv(urlForDatabase(target.adminUrl, stage), timeouts);
  const run = { what: `restoring ${path.basename(dump.file)} into ${stage}`, timeoutSeconds: timeouts.toolSeconds, env, ...(signal ? { signal } : {}) };
  if (dump.format === "plain-gzip") {
    const tail = new DumpTail();
    const checked = dump.pieces ? [verifiedPieces(dump.pieces, path.basename(dump.file))] : [];
    // No --single-transaction: one transaction takes a lock per large object and runs out of
    // shared memory past a few thousand. ON_ERROR_STOP still stops at the first error, and the
    // stage (dropped on failure) is what makes the load all-or-nothing for the live database.
    await withDump(dump, (source) =>
      runPgTool({
        ...run,
        bin: path.join(target.binDir, "psql"),
        args: ["--no-psqlrc", "--quiet", "-v", "ON_ERROR_STOP=1", "--dbname", url],
        stdin: (stdin) => pipeline([source.createReadStream({ highWaterMark: 1024 * 1024 }), ...checked, gunzipStream(), tail, stdin]),
      }),
    );
    // Preflight checked the trailer; this catches a file that changed since.
    if (!tail.complete()) {
      throw new RewindError("STEP_FAILED", `${path.basename(dump.file)} ends without "${DUMP_COMPLETE_TRAILER}": the dump was cut short`);
    }
  } else {
    // -j cannot run in one transaction; --exit-on-error stops at the first failure.
    await withDump(dump, (input) =>
      runPgTool({
        ...run,
        bin: path.join(target.binDir, "pg_restore"),
        args: ["--exit-on-error", "--jobs", String(restoreJobs()), "--dbname", url, inheritedInputPath],
        input,
      }),
    );
  }
}

/**
 * Restore `dump` into a fresh `stage` database shaped like `live`; a failure drops `stage` and leaves
 * `live` alone. `check`, if given, reads the loaded stage (e.g. its row counts) while ANALYZE runs:
 * both scan every table, on two connections; a check that throws drops the stage too.
 */
export async function restoreIntoStage(
  target: PgTarget,
  dump: DumpSource,
  live: string,
  stage: string,
  signal?: AbortSignal,
  check?: () => Promise<void>,
): Promise<void> {
  const timeouts = target.timeouts ?? pgTimeoutDefaults;
  const oid = await withPg(
    target.adminUrl,
    async (client) => {
      await client.query(`DROP DATABASE IF EXISTS ${client.escapeIdentifier(stage)} WITH (FORCE)`);
      await client.query(createDatabaseSql(stage, await propertiesToCopy(client, live)));
      const created = await client.query<{ oid: string }>("SELECT oid FROM pg_database WHERE datname = $1", [stage]);
      return Number(created.rows[0]?.oid);
    },
    timeouts,
  );
  try {
    await loadDump(target, dump, stage, signal);
    // Fresh planner statistics, so the first queries after the swap do not run on guesses.
    const analyzed = withPg({ url: target.adminUrl, database: stage }, (client) => client.query("ANALYZE"), timeouts);
    const checked = check?.();
    // Both settle before the stage may be dropped: a DROP … WITH (FORCE) must not race a running check.
    const [analysis, inspection] = await Promise.allSettled([analyzed, checked]);
    if (analysis.status === "rejected") throw analysis.reason;
    if (inspection.status === "rejected") throw inspection.reason;
    // Read again now: what the live database is just before the swap, not before a long restore.
    await withPg(target.adminUrl, async (client) => inTransaction(client, finishDatabaseSql(stage, await propertiesToCopy(client, live))), timeouts);
  } catch (error) {
    // Only the database this call created: never one that took the name meanwhile.
    await dropDatabaseWithOid(target.adminUrl, stage, oid, timeouts);
    throw error;
  }
}

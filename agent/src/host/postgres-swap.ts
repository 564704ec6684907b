// The PostgreSQL swap of a rollback and its undo, by renames (seconds, whatever the size). Databases
// are told apart by OID, not only by name: a name can be reused or cut at 63 bytes, an OID cannot,
// so a database is dropped only when its OID is the one the rollback recorded for its staged copy.
import type pg from "pg";
import { RewindError } from "../../../shared/errors.ts";
import type { ConnectTimeouts } from "./pg-connect.ts";
import { withAdmin } from "./postgres-restore.ts";

async function oidOf(client: pg.Client, db: string): Promise<number | undefined> {
  const result = await client.query<{ oid: string }>("SELECT oid FROM pg_database WHERE datname = $1", [db]);
  const oid = result.rows[0]?.oid;
  return oid === undefined ? undefined : Number(oid);
}

/** The OID of database `db`, or undefined when there is none by that name. */
export async function databaseOid(adminUrl: string, db: string, timeouts?: ConnectTimeouts): Promise<number | undefined> {
  return withAdmin(adminUrl, (client) => oidOf(client, db), timeouts);
}

/** Every database name on the server, to check that the names a rollback will create are free. */
export async function databaseNamesOnServer(adminUrl: string, timeouts?: ConnectTimeouts): Promise<Set<string>> {
  return withAdmin(
    adminUrl,
    async (client) => {
      const result = await client.query<{ datname: string }>("SELECT datname FROM pg_database");
      return new Set(result.rows.map((r) => r.datname));
    },
    timeouts,
  );
}

async function terminate(client: pg.Client, db: string): Promise<void> {
  await client.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()", [db]);
}

async function dropIfOid(client: pg.Client, db: string, oid: number): Promise<boolean> {
  if ((await oidOf(client, db)) !== oid) return false;
  await client.query(`DROP DATABASE ${client.escapeIdentifier(db)} WITH (FORCE)`);
  return true;
}

/**
 * Drops `db` only if it is still the database with OID `oid` (the staged copy this rollback made).
 * Returns whether it dropped it; a database of another OID under that name is left alone.
 */
export async function dropDatabaseWithOid(adminUrl: string, db: string, oid: number, timeouts?: ConnectTimeouts): Promise<boolean> {
  return withAdmin(adminUrl, (client) => dropIfOid(client, db, oid), timeouts);
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
export async function swapDatabases(adminUrl: string, names: DatabaseSwapNames, timeouts?: ConnectTimeouts): Promise<void> {
  await withAdmin(
    adminUrl,
    async (client) => {
      const [live, stage, aside] = [await oidOf(client, names.live), await oidOf(client, names.stage), await oidOf(client, names.aside)];
      if (aside !== undefined && live !== undefined && stage === undefined) return;
      if (stage === undefined) throw new RewindError("STEP_FAILED", `the staged database ${names.stage} is missing; run the stage step again`);
      if (live !== undefined && aside !== undefined) {
        throw new RewindError("STEP_FAILED", `both ${names.live} and ${names.aside} exist beside the staged copy; inspect them by hand`);
      }
      if (live !== undefined) await rename(client, names.live, names.aside);
      await rename(client, names.stage, names.live);
    },
    timeouts,
  );
}

export interface UnswapInput {
  live: string;
  /** Where the swap set the pre-rollback database aside. */
  aside: string;
  /** Where the restored database goes if it served: the undo never drops data an application wrote. */
  post: string;
  /** OID of the live database at preflight: the one to bring back. Undefined if it was not recorded. */
  preOid: number | undefined;
  /** OID of the staged copy, recorded by the stage step: the only database the undo may drop. */
  stagedOid: number | undefined;
  /** True once services were started on the restored database (it may hold new rows). */
  served: boolean;
}

export interface UnswapResult {
  /** True when this call renamed the pre-rollback database back under the live name. */
  restored: boolean;
  /** The restored database, set aside under `post` (it served, or is not provably the staged copy). */
  setAside?: string;
  /** The staged copy dropped because it never served. */
  dropped?: string;
}

/**
 * The reverse of the swap: the pre-rollback database goes back under the live name, and the database
 * then live is set aside under `post`, or dropped when it is provably the staged copy (its OID) and
 * never served. Idempotent: a second run after a crash finishes or finds nothing left to do.
 */
export async function unswapDatabases(adminUrl: string, input: UnswapInput, timeouts?: ConnectTimeouts): Promise<UnswapResult> {
  return withAdmin(
    adminUrl,
    async (client) => {
      const live = await oidOf(client, input.live);
      const aside = await oidOf(client, input.aside);
      const postNow: UnswapResult = { restored: false, ...((await oidOf(client, input.post)) === undefined ? {} : { setAside: input.post }) };
      // Back already (or never swapped): nothing under the set-aside name, or the live name is the recorded database.
      if (aside === undefined || (input.preOid !== undefined && live === input.preOid)) return postNow;
      if (input.preOid !== undefined && aside !== input.preOid) {
        throw new RewindError(
          "STEP_FAILED",
          `${input.aside} is not the database that was live before the rollback (OID ${aside}, expected ${input.preOid}); inspect the databases by hand`,
        );
      }
      // A run cut between its two renames already set the restored copy aside: say so again.
      const result: UnswapResult = { restored: true, ...(live === undefined && postNow.setAside ? { setAside: postNow.setAside } : {}) };
      if (live !== undefined) {
        if (!input.served && input.stagedOid !== undefined && live === input.stagedOid && (await dropIfOid(client, input.live, live))) {
          result.dropped = input.live;
        } else {
          if (postNow.setAside) throw new RewindError("STEP_FAILED", `both ${input.live} and ${input.post} exist; inspect them by hand before undoing`);
          await rename(client, input.live, input.post);
          result.setAside = input.post;
        }
      }
      await rename(client, input.aside, input.live);
      return result;
    },
    timeouts,
  );
}

// PostgreSQL admin queries of a rollback: reachability, the data directory, dropping a database.
// The staged copy is made in postgres-stage.ts, the swap by renames is in postgres-swap.ts.
import type pg from "pg";
import { RewindError } from "../../../shared/errors.ts";
import { type ConnectTimeouts, withPg } from "./pg-connect.ts";
import { databaseNameProblem } from "./pg-url.ts";

export function urlForDatabase(adminUrl: string, db: string): string {
  const problem = databaseNameProblem(db);
  if (problem) throw new RewindError("CONFIG_INVALID", problem);
  const url = new URL(adminUrl);
  url.pathname = `/${encodeURIComponent(db)}`;
  return url.toString();
}

/** Admin work on one connection, with connect and statement timeouts (host/pg-connect.ts; defaults unless given). */
export function withAdmin<T>(adminUrl: string, work: (client: pg.Client) => Promise<T>, timeouts?: ConnectTimeouts): Promise<T> {
  return withPg(adminUrl, work, timeouts);
}

export async function pingPostgres(adminUrl: string, timeouts?: ConnectTimeouts): Promise<string> {
  return withAdmin(
    adminUrl,
    async (client) => {
      const result = await client.query<{ version: string }>("SHOW server_version");
      return result.rows[0]?.version ?? "unknown";
    },
    timeouts,
  );
}

/** The server's data directory, to measure free disk when the server runs on this host. */
export async function dataDirectory(adminUrl: string, timeouts?: ConnectTimeouts): Promise<string | undefined> {
  return withAdmin(
    adminUrl,
    async (client) => {
      const result = await client.query<{ data_directory: string }>("SHOW data_directory");
      return result.rows[0]?.data_directory;
    },
    timeouts,
  );
}

export async function databaseExists(adminUrl: string, db: string): Promise<boolean> {
  return withAdmin(adminUrl, async (client) => {
    const result = await client.query("SELECT 1 FROM pg_database WHERE datname = $1", [db]);
    return (result.rowCount ?? 0) > 0;
  });
}

/** Drop a database, closing its sessions first (PostgreSQL 13+: WITH (FORCE)). */
export async function dropDatabase(adminUrl: string, db: string, timeouts?: ConnectTimeouts): Promise<void> {
  await withAdmin(
    adminUrl,
    async (client) => {
      await client.query(`DROP DATABASE IF EXISTS ${client.escapeIdentifier(db)} WITH (FORCE)`);
    },
    timeouts,
  );
}

/** Databases whose name starts with `prefix`, oldest first (by oid, i.e. creation order). */
export async function databasesWithPrefix(adminUrl: string, prefix: string, timeouts?: ConnectTimeouts): Promise<string[]> {
  return withAdmin(
    adminUrl,
    async (client) => {
      const result = await client.query<{ datname: string }>("SELECT datname FROM pg_database WHERE starts_with(datname, $1) ORDER BY oid", [prefix]);
      return result.rows.map((r) => r.datname);
    },
    timeouts,
  );
}

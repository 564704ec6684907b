// Exact row counts of every user table in a database: what a backup records in its manifest and
// what a rollback's stage step compares against on the staged copy. A backup takes its counts
// inside an exported snapshot that pg_dump shares, so the counts describe exactly the dump.
import type pg from "pg";
import { RewindError } from "../../../shared/errors.ts";
import type { TableCount } from "../../../shared/schemas/manifest.ts";
import { type ConnectTimeouts, connectPg, type PgAddress } from "./pg-connect.ts";

export type { TableCount };

const listTables = `
  SELECT table_schema AS schema, table_name AS table
  FROM information_schema.tables
  WHERE table_type = 'BASE TABLE'
    AND table_schema NOT IN ('pg_catalog', 'information_schema')
    AND table_schema NOT LIKE 'pg\\_toast%'
    AND table_schema NOT LIKE 'pg\\_temp%'`;

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Counts inside the client's current transaction. */
async function countTables(client: pg.Client): Promise<TableCount[]> {
  const tables = await client.query<{ schema: string; table: string }>(listTables);
  const counts: TableCount[] = [];
  for (const { schema, table } of tables.rows) {
    const quoted = `${client.escapeIdentifier(schema)}.${client.escapeIdentifier(table)}`;
    const result = await client.query<{ rows: string }>(`SELECT count(*) AS rows FROM ${quoted}`);
    counts.push({ schema, table, rows: Number(result.rows[0]?.rows ?? 0) });
  }
  // Sorted by code point, not by the server's collation, so two hosts list tables identically.
  return counts.sort((a, b) => compare(a.schema, b.schema) || compare(a.table, b.table));
}

/** Every user table with its exact `count(*)` (not the planner's estimate), sorted by schema then table. */
export async function tableCounts(address: PgAddress, timeouts?: ConnectTimeouts): Promise<TableCount[]> {
  const client = await connectPg(address, timeouts);
  try {
    // One snapshot for all counts, so they describe the same moment as each other.
    await client.query("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
    const counts = await countTables(client);
    await client.query("COMMIT");
    return counts;
  } finally {
    await client.end();
  }
}

/** Every user table as `schema.table`, without counting rows: cheap on a live database. */
export async function tableNames(address: PgAddress, timeouts?: ConnectTimeouts): Promise<Set<string>> {
  const client = await connectPg(address, timeouts);
  try {
    const tables = await client.query<{ schema: string; table: string }>(listTables);
    return new Set(tables.rows.map((t) => `${t.schema}.${t.table}`));
  } finally {
    await client.end();
  }
}

export interface ExportedSnapshot {
  /** Pass to `pg_dump --snapshot`; valid until `close()`. */
  id: string;
  /** Row counts as this snapshot sees them. */
  counts(): Promise<TableCount[]>;
  close(): Promise<void>;
}

/** Opens a read-only transaction and exports its snapshot for pg_dump to share. */
export async function exportSnapshot(address: PgAddress, timeouts?: ConnectTimeouts): Promise<ExportedSnapshot> {
  const client = await connectPg(address, timeouts);
  try {
    await client.query("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
    const result = await client.query<{ id: string }>("SELECT pg_export_snapshot() AS id");
    const id = result.rows[0]?.id;
    if (id === undefined) throw new RewindError("INTERNAL", "pg_export_snapshot() returned no row");
    return {
      id,
      counts: () => countTables(client),
      close: async () => {
        try {
          await client.query("COMMIT");
        } finally {
          await client.end();
        }
      },
    };
  } catch (error) {
    await client.end();
    throw error;
  }
}

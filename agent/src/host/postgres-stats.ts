// Exact row counts of every user table in a database: what a backup records in its manifest and
// what a rollback's verify step compares against after the restore.
import pg from "pg";
import { RewindError } from "../../../shared/errors.ts";
import type { TableCount } from "../../../shared/schemas/manifest.ts";

export type { TableCount };

const listTables = `
  SELECT table_schema AS schema, table_name AS table
  FROM information_schema.tables
  WHERE table_type = 'BASE TABLE'
    AND table_schema NOT IN ('pg_catalog', 'information_schema')
    AND table_schema NOT LIKE 'pg\\_toast%'
    AND table_schema NOT LIKE 'pg\\_temp%'`;

/** Every user table with its exact `count(*)` (not the planner's estimate), sorted by schema then table. */
export async function tableCounts(url: string): Promise<TableCount[]> {
  const client = new pg.Client({ connectionString: url });
  try {
    await client.connect();
  } catch (error) {
    throw new RewindError("UNAVAILABLE", `cannot connect to PostgreSQL for row counts: ${(error as Error).message}`, {
      retryable: true,
      cause: error,
    });
  }
  try {
    // One snapshot for all counts, so they describe the same moment as each other.
    await client.query("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
    const tables = await client.query<{ schema: string; table: string }>(listTables);
    const counts: TableCount[] = [];
    for (const { schema, table } of tables.rows) {
      const quoted = `${client.escapeIdentifier(schema)}.${client.escapeIdentifier(table)}`;
      const result = await client.query<{ rows: string }>(`SELECT count(*) AS rows FROM ${quoted}`);
      counts.push({ schema, table, rows: Number(result.rows[0]?.rows ?? 0) });
    }
    await client.query("COMMIT");
    // Sorted by code point, not by the server's collation, so two hosts list tables identically.
    return counts.sort((a, b) => compare(a.schema, b.schema) || compare(a.table, b.table));
  } finally {
    await client.end();
  }
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

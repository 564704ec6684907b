// Pure comparisons of a restored database with the manifest: exact tables and row counts on the
// staged copy (stage step, before downtime), and only that every table exists once the application
// runs on it again (verify step: live rows change, tables do not vanish).
import type { TableCount } from "../../../shared/schemas/manifest.ts";

export interface TableMismatch {
  table: string;
  expected?: number;
  actual?: number;
}

export function compareTableCounts(expected: readonly TableCount[], actual: readonly TableCount[]): TableMismatch[] {
  const key = (t: TableCount): string => `${t.schema}.${t.table}`;
  const actualByKey = new Map(actual.map((t) => [key(t), t.rows]));
  const expectedKeys = new Set(expected.map(key));
  const mismatches: TableMismatch[] = [];
  for (const table of expected) {
    const rows = actualByKey.get(key(table));
    if (rows !== table.rows) mismatches.push({ table: key(table), expected: table.rows, ...(rows === undefined ? {} : { actual: rows }) });
  }
  for (const table of actual) {
    if (!expectedKeys.has(key(table))) mismatches.push({ table: key(table), actual: table.rows });
  }
  return mismatches;
}

export const describeMismatches = (mismatches: readonly TableMismatch[]): string =>
  mismatches.map((m) => `${m.table}: expected ${m.expected ?? "absent"}, found ${m.actual ?? "absent"}`).join("; ");

/** `schema.table` of every manifest table absent from `present` (names as `schema.table`). */
export function missingTables(expected: readonly TableCount[], present: ReadonlySet<string>): string[] {
  return expected.map((t) => `${t.schema}.${t.table}`).filter((name) => !present.has(name));
}

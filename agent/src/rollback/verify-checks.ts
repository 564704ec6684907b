// Pure comparisons for the verify step: restored row counts against the manifest's.
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

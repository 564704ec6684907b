// Reads of the audit tables for the API: entry pages, checkpoints, and the leaf hashes proofs need.
// Only selects: nothing outside the AuditLog Durable Object writes these tables.
import { and, asc, count, desc, eq, gte, lt, sql } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
import { fromHex, type Hash } from "../../../shared/audit/merkle.ts";
import type { Env } from "../env.ts";
import { auditCheckpoints, auditEntries } from "./schema.ts";

const pageSize = 5000;

function db(env: Pick<Env, "DB">) {
  return drizzle(env.DB);
}

export async function treeSize(env: Pick<Env, "DB">): Promise<number> {
  const [row] = await db(env).select({ n: count() }).from(auditEntries);
  return row?.n ?? 0;
}

/** Canonical entry texts with seq in [from, from + limit). */
export async function entryPage(env: Pick<Env, "DB">, from: number, limit: number): Promise<string[]> {
  const rows = await db(env)
    .select({ entry: auditEntries.entry })
    .from(auditEntries)
    .where(gte(auditEntries.seq, from))
    .orderBy(asc(auditEntries.seq))
    .limit(limit);
  return rows.map((row) => row.entry);
}

/** Leaf hashes of the first `size` entries: O(size) reads, paged so no single D1 result is huge. */
export async function leafHashes(env: Pick<Env, "DB">, size: number): Promise<Hash[]> {
  const leaves: Hash[] = [];
  while (leaves.length < size) {
    const rows = await db(env)
      .select({ leafHash: auditEntries.leafHash })
      .from(auditEntries)
      .where(and(gte(auditEntries.seq, leaves.length), lt(auditEntries.seq, size)))
      .orderBy(asc(auditEntries.seq))
      .limit(pageSize);
    if (rows.length === 0) break;
    for (const row of rows) leaves.push(fromHex(row.leafHash));
  }
  return leaves;
}

export async function latestCheckpoint(env: Pick<Env, "DB">): Promise<string | undefined> {
  const [row] = await db(env).select({ note: auditCheckpoints.note }).from(auditCheckpoints).orderBy(desc(auditCheckpoints.treeSize)).limit(1);
  return row?.note;
}

export async function checkpointAt(env: Pick<Env, "DB">, size: number): Promise<string | undefined> {
  const [row] = await db(env).select({ note: auditCheckpoints.note }).from(auditCheckpoints).where(eq(auditCheckpoints.treeSize, size));
  return row?.note;
}

/** Signed checkpoints with tree size in [from, from + limit), oldest first. */
export async function checkpointPage(env: Pick<Env, "DB">, from: number, limit: number): Promise<{ size: number; note: string }[]> {
  const rows = await db(env)
    .select({ size: auditCheckpoints.treeSize, note: auditCheckpoints.note })
    .from(auditCheckpoints)
    .where(gte(auditCheckpoints.treeSize, from))
    .orderBy(asc(auditCheckpoints.treeSize))
    .limit(limit);
  return rows;
}

/** Canonical texts of the `enrollment.completed` entries, oldest first: each names a key a host enrolled. */
export async function enrollmentEntries(env: Pick<Env, "DB">): Promise<string[]> {
  const rows = await db(env)
    .select({ entry: auditEntries.entry })
    .from(auditEntries)
    .where(sql`json_extract(${auditEntries.entry}, '$.action') = 'enrollment.completed'`)
    .orderBy(asc(auditEntries.seq));
  return rows.map((row) => row.entry);
}

// Reading rollbacks back out of D1 for the API: the list (filtered by host and state, newest first)
// and one rollback with its approvals and its steps folded from the agent's progress reports, in the
// shapes shared/schemas/api.ts describes for the CLI and the console.
import { and, desc, eq, type SQL } from "drizzle-orm";
import { RewindError } from "../../../../shared/errors.ts";
import type { RollbackDetail, RollbackSummary } from "../../../../shared/schemas/api.ts";
import { progressReport } from "../../../../shared/schemas/report.ts";
import type { RollbackState } from "../../../../shared/schemas/rollback.ts";
import { database } from "../../db/client.ts";
import { reportArrivalOrder } from "../../db/report-order.ts";
import { commandReports, rollbacks } from "../../db/schema.ts";
import type { Env } from "../../env.ts";
import type { Approval, RollbackRecord } from "../record.ts";
import { foldSteps } from "./steps.ts";

export type RollbackRow = typeof rollbacks.$inferSelect;

const iso = (ms: number): string => new Date(ms).toISOString();

export function summaryOf(row: RollbackRow): RollbackSummary {
  return {
    rollbackId: row.id,
    host: row.host,
    backupId: row.backupId,
    mode: row.mode,
    state: row.state,
    reason: row.reason,
    requestedBy: row.requestedBy,
    automatic: row.automatic,
    source: row.source,
    createdAt: iso(row.createdAt),
    updatedAt: iso(row.updatedAt),
  };
}

export async function listRollbacks(env: Env, filter: { host?: string; state?: RollbackState; limit: number }): Promise<RollbackSummary[]> {
  const where: SQL[] = [];
  if (filter.host !== undefined) where.push(eq(rollbacks.host, filter.host));
  if (filter.state !== undefined) where.push(eq(rollbacks.state, filter.state));
  const rows = await database(env)
    .select()
    .from(rollbacks)
    .where(where.length === 0 ? undefined : and(...where))
    .orderBy(desc(rollbacks.createdAt))
    .limit(filter.limit);
  return rows.map(summaryOf);
}

export async function rollbackRow(env: Env, id: string): Promise<RollbackRow> {
  const [row] = await database(env).select().from(rollbacks).where(eq(rollbacks.id, id)).limit(1);
  if (row === undefined) throw new RewindError("NOT_FOUND", `no rollback ${id}`);
  return row;
}

export async function readRollback(env: Env, id: string): Promise<RollbackDetail> {
  const row = await rollbackRow(env, id);
  const progress =
    row.commandId === null
      ? []
      : await database(env)
          .select({ body: commandReports.body })
          .from(commandReports)
          .where(and(eq(commandReports.commandId, row.commandId), eq(commandReports.host, row.host), eq(commandReports.kind, "progress")))
          .orderBy(...reportArrivalOrder);
  return detailOf(
    row,
    progress.map((item) => item.body),
  );
}

/** The detail answer from the D1 row and the bodies of its command's progress reports, oldest first. */
export function detailOf(row: RollbackRow, progressBodies: readonly string[]): RollbackDetail {
  const reports = progressBodies.flatMap((body) => {
    const parsed = progressReport.safeParse(JSON.parse(body));
    return parsed.success ? [parsed.data] : [];
  });
  const approvals = JSON.parse(row.approvals) as Approval[];
  return {
    ...summaryOf(row),
    commandId: row.commandId,
    ...(row.downtimeMs === null ? {} : { downtimeMs: row.downtimeMs }),
    ...(row.outcome === null ? {} : { outcome: JSON.parse(row.outcome) as NonNullable<RollbackRecord["outcome"]> }),
    approvalsRequired: row.approvalsRequired,
    approvals: approvals.map((approval) => ({ tokenId: approval.tokenId, approvedAt: iso(approval.at) })),
    ...(row.expiresAt === null ? {} : { expiresAt: iso(row.expiresAt) }),
    steps: foldSteps(reports),
  };
}

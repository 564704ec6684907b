// Reading rollbacks back out of D1 for the API: the list (filtered by host and state, newest first)
// and one rollback with its approvals and its steps folded from the agent's progress reports.
import { and, asc, desc, eq, type SQL, sql } from "drizzle-orm";
import { RewindError } from "../../../shared/errors.ts";
import { progressReport } from "../../../shared/schemas/report.ts";
import type { RollbackState } from "../../../shared/schemas/rollback.ts";
import { database } from "../db/client.ts";
import { commandReports, rollbacks } from "../db/schema.ts";
import type { Env } from "../env.ts";
import type { Approval } from "./record.ts";
import { foldSteps, type StepView } from "./steps.ts";

type Row = typeof rollbacks.$inferSelect;

export interface RollbackSummary {
  rollbackId: string;
  host: string;
  backupId: string;
  mode: string;
  state: string;
  reason: string;
  requestedBy: string;
  automatic: boolean;
  source: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface RollbackDetail extends RollbackSummary {
  commandId: string | null;
  downtimeMs?: number;
  outcome?: unknown;
  approvalsRequired: number;
  approvals: { tokenId: string; approvedAt: string }[];
  expiresAt?: string;
  steps: StepView[];
}

const iso = (ms: number): string => new Date(ms).toISOString();

function summary(row: Row): RollbackSummary {
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
  return rows.map(summary);
}

export async function rollbackRow(env: Env, id: string): Promise<Row> {
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
          .where(and(eq(commandReports.commandId, row.commandId), eq(commandReports.kind, "progress")))
          // Reports in arrival order; rowid breaks ties within one millisecond.
          .orderBy(asc(commandReports.receivedAt), sql`rowid`);
  const reports = progress.flatMap((item) => {
    const parsed = progressReport.safeParse(JSON.parse(item.body));
    return parsed.success ? [parsed.data] : [];
  });
  const approvals = JSON.parse(row.approvals) as Approval[];
  return {
    ...summary(row),
    commandId: row.commandId,
    ...(row.downtimeMs === null ? {} : { downtimeMs: row.downtimeMs }),
    ...(row.outcome === null ? {} : { outcome: JSON.parse(row.outcome) as unknown }),
    approvalsRequired: row.approvalsRequired,
    approvals: approvals.map((approval) => ({ tokenId: approval.tokenId, approvedAt: iso(approval.at) })),
    ...(row.expiresAt === null ? {} : { expiresAt: iso(row.expiresAt) }),
    steps: foldSteps(reports),
  };
}

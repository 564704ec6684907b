// GET /v1/hosts (viewer+): every enrolled host with its connection state, key fingerprint and newest
// verified backup.
import { asc, eq, sql } from "drizzle-orm";
import { Hono } from "hono";
import type { HostSummary } from "../../../shared/schemas/api.ts";
import { requireRole } from "../auth/middleware.ts";
import { readers } from "../auth/roles.ts";
import { database } from "../db/client.ts";
import { backups, hosts } from "../db/schema.ts";
import type { AppEnv } from "../http/app-env.ts";

/** One host as GET /v1/hosts answers it (shared/schemas/api.ts). */
export function hostSummaryOf(row: typeof hosts.$inferSelect, newestBackup: HostSummary["newestBackup"]): HostSummary {
  return {
    name: row.name,
    status: row.online ? "online" : "offline",
    lastSeenAt: row.lastSeenAt === null ? null : new Date(row.lastSeenAt).toISOString(),
    agentVersion: row.agentVersion,
    fingerprint: row.fingerprint,
    enrolledAt: new Date(row.enrolledAt).toISOString(),
    newestBackup,
    requireApproval: row.requireApproval,
    approvalsRequired: row.approvalsRequired,
  };
}

export const hostListRoutes = new Hono<AppEnv>().get("/", requireRole(...readers), async (c) => {
  const db = database(c.env);
  const rows = await db.select().from(hosts).orderBy(asc(hosts.name));
  // SQLite takes the bare columns of a max() aggregate from the row holding the max: the newest backup.
  const newestRows = await db
    .select({ host: backups.host, backupId: backups.backupId, createdAt: sql<number>`max(${backups.createdAt})` })
    .from(backups)
    .where(eq(backups.verified, true))
    .groupBy(backups.host);
  const newest = new Map(newestRows.map((b) => [b.host, { backupId: b.backupId, createdAt: new Date(b.createdAt).toISOString() }]));
  return c.json({ hosts: rows.map((row) => hostSummaryOf(row, newest.get(row.name) ?? null)) });
});

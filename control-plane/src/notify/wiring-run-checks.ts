// Runs the periodic host checks (agent offline, stale backup) against D1 and publishes what is due,
// each condition once (a row in notification_marks). Called by the Worker's cron trigger and by
// POST /v1/notifications/checks (admin), which runs them now.
import { eq, sql } from "drizzle-orm";
import { Hono } from "hono";
import * as z from "../../../shared/schemas/zod.ts";
import { RewindError } from "../../../shared/errors.ts";
import { notificationMarks } from "../alerts/schema.ts";
import { requireRole } from "../auth/middleware.ts";
import { database } from "../db/client.ts";
import { backups, hosts } from "../db/schema.ts";
import type { AppEnv } from "../http/app-env.ts";
import type { Env } from "../env.ts";
import { type CheckThresholds, dueNotifications, type HostFacts } from "./wiring-checks.ts";
import { notifierFor } from "./wiring.ts";

export interface ChecksEnv extends Env {
  NOTIFY_AGENT_OFFLINE_MINUTES?: string;
  NOTIFY_BACKUP_STALE_HOURS?: string;
}

const thresholdSchema = z.strictObject({
  agentOfflineMinutes: z._default(z.coerce.number().check(z.positive(), z.lte(7 * 24 * 60)), 15),
  backupStaleHours: z._default(z.coerce.number().check(z.positive(), z.lte(365 * 24)), 48),
});

export function checkThresholds(env: ChecksEnv): CheckThresholds {
  const parsed = thresholdSchema.safeParse({
    ...(env.NOTIFY_AGENT_OFFLINE_MINUTES === undefined ? {} : { agentOfflineMinutes: env.NOTIFY_AGENT_OFFLINE_MINUTES }),
    ...(env.NOTIFY_BACKUP_STALE_HOURS === undefined ? {} : { backupStaleHours: env.NOTIFY_BACKUP_STALE_HOURS }),
  });
  if (!parsed.success) {
    const field = parsed.error.issues[0]?.path[0] === "backupStaleHours" ? "NOTIFY_BACKUP_STALE_HOURS" : "NOTIFY_AGENT_OFFLINE_MINUTES";
    throw new RewindError("CONFIG_INVALID", `control plane setting ${field} must be a positive number`, { details: { field } });
  }
  return parsed.data;
}

async function hostFacts(env: ChecksEnv): Promise<HostFacts[]> {
  const db = database(env);
  const rows = await db.select().from(hosts);
  // SQLite takes the bare columns of a max() aggregate from the row holding the max: the newest backup.
  const newest = await db
    .select({ host: backups.host, backupId: backups.backupId, createdAt: sql<number>`max(${backups.createdAt})` })
    .from(backups)
    .where(eq(backups.verified, true))
    .groupBy(backups.host);
  const byHost = new Map(newest.map((b) => [b.host, { backupId: b.backupId, createdAt: b.createdAt }]));
  return rows.map((row) => {
    const backup = byHost.get(row.name);
    return {
      name: row.name,
      online: row.online,
      lastSeenAt: row.lastSeenAt,
      enrolledAt: row.enrolledAt,
      ...(backup === undefined ? {} : { newestBackup: backup }),
    };
  });
}

/** Publishes every due notification not sent before; returns the events sent. */
export async function runHostChecks(env: ChecksEnv, now: number): Promise<string[]> {
  const due = dueNotifications(await hostFacts(env), checkThresholds(env), now);
  const sent: string[] = [];
  for (const { key, event } of due) {
    const claimed = await database(env).insert(notificationMarks).values({ key, sentAt: now }).onConflictDoNothing().returning({ key: notificationMarks.key });
    if (claimed.length === 0) continue;
    await notifierFor(env).notify(event);
    sent.push(key);
  }
  return sent;
}

export const notificationCheckRoutes = new Hono<AppEnv>().post("/checks", requireRole("admin"), async (c) => {
  return c.json({ sent: await runHostChecks(c.env, Date.now()) });
});

// /v1/hosts/:host/backups (viewer+): a host's verified backups, newest first, and one manifest as
// stored (read back from object storage). PUT /v1/hosts/:host/settings (admin): approval rules.
import { eq } from "drizzle-orm";
import { Hono } from "hono";
import * as z from "../../../shared/schemas/zod.ts";
import { RewindError } from "../../../shared/errors.ts";
import type { BackupSummary } from "../../../shared/schemas/api.ts";
import { hostName, id as idSchema } from "../../../shared/schemas/common.ts";
import { backupManifest } from "../../../shared/schemas/manifest.ts";
import { parseOrThrow } from "../../../shared/schemas/zod-error.ts";
import { appendAudit } from "../audit/append.ts";
import { requireRole } from "../auth/middleware.ts";
import { readers } from "../auth/roles.ts";
import { sha256Hex } from "../auth/secrets.ts";
import { database } from "../db/client.ts";
import { hosts } from "../db/schema.ts";
import type { AppEnv } from "../http/app-env.ts";
import { readBody } from "../http/body.ts";
import { type BackupRow, findBackup, listBackups } from "./catalog.ts";
import { getObject } from "./object-store.ts";

const settingsBody = z.strictObject({
  requireApproval: z.boolean(),
  /** Distinct operators, other than the requester, who must approve. */
  approvals: z.optional(z.number().check(z.int(), z.gte(1), z.lte(5))),
  /** How long a request waits for its approvals; 15 minutes unless set. */
  approvalWindowSeconds: z.optional(z.number().check(z.int(), z.gte(1), z.lte(24 * 3600))),
});

/** One backup as the list answers it (shared/schemas/api.ts), plus where it is stored. */
export function backupSummaryOf(row: BackupRow): BackupSummary & { sha256: string; origin: string; key: string } {
  return {
    backupId: row.backupId,
    host: row.host,
    createdAt: new Date(row.createdAt).toISOString(),
    timestamp: row.timestamp,
    gitCommit: row.gitCommit,
    gitBranch: row.gitBranch,
    sha256: row.sha256,
    verified: row.verified,
    origin: row.origin,
    key: row.objectKey,
  };
}

async function requireHost(c: { env: AppEnv["Bindings"] }, host: string) {
  const [row] = await database(c.env).select().from(hosts).where(eq(hosts.name, host)).limit(1);
  if (row === undefined) throw new RewindError("NOT_FOUND", `host ${host} is not enrolled`);
  return row;
}

export const hostBackupRoutes = new Hono<AppEnv>()
  .get("/:host/backups", requireRole(...readers), async (c) => {
    const host = parseOrThrow(hostName, c.req.param("host"), "host name");
    await requireHost(c, host);
    return c.json({ backups: (await listBackups(c.env, host)).map(backupSummaryOf) });
  })
  .get("/:host/backups/:id", requireRole(...readers), async (c) => {
    const host = parseOrThrow(hostName, c.req.param("host"), "host name");
    const backupId = parseOrThrow(idSchema, c.req.param("id"), "backup id");
    const row = await findBackup(c.env, host, backupId);
    if (row === undefined) throw new RewindError("NOT_FOUND", `host ${host} has no backup ${backupId}`);
    const text = await getObject(c.env, row.storage, row.objectKey);
    if (text === undefined)
      throw new RewindError("NOT_FOUND", `the manifest of backup ${backupId} is indexed but missing from ${row.storage} (${row.objectKey})`);
    if ((await sha256Hex(text)) !== row.sha256) {
      throw new RewindError("BACKUP_INVALID", `the stored manifest ${row.objectKey} does not match the sha256 indexed when it was verified`);
    }
    const manifest = parseOrThrow(backupManifest, JSON.parse(text), `stored manifest ${row.objectKey}`, "INTERNAL");
    return c.json({ ...backupSummaryOf(row), manifest });
  })
  .put("/:host/settings", requireRole("admin"), async (c) => {
    const host = parseOrThrow(hostName, c.req.param("host"), "host name");
    const body = await readBody(c, settingsBody, "host settings");
    await requireHost(c, host);
    const settings = {
      requireApproval: body.requireApproval,
      approvalsRequired: body.approvals ?? 1,
      approvalWindowSeconds: body.approvalWindowSeconds ?? 900,
    };
    await database(c.env).update(hosts).set(settings).where(eq(hosts.name, host));
    await appendAudit(c.env, { actor: c.get("actor"), action: "host.settings-changed", subject: `host:${host}`, details: settings });
    return c.json({ host, ...settings });
  });

// DELETE /v1/hosts/:host (admin): retires a host. Its key stops working at once (open socket closed,
// connects refused), its requests waiting for approval and its unacknowledged commands are cancelled,
// and it leaves GET /v1/hosts, so alerts and requests for it are refused as for any unknown host. Its
// rollbacks, commands and audit entries stay as history; its backup catalog and key pins go (the
// backups themselves stay on the machine and in the bucket, their signed manifests in the audit log).
// The name can be enrolled again only by a new enrollment, minted after the retirement.
import { and, eq, isNull } from "drizzle-orm";
import { Hono } from "hono";
import { RewindError } from "../../../shared/errors.ts";
import { hostName } from "../../../shared/schemas/common.ts";
import { parseOrThrow } from "../../../shared/schemas/zod-error.ts";
import { appendAudit } from "../audit/append.ts";
import { requireRole } from "../auth/middleware.ts";
import { database } from "../db/client.ts";
import { agentKeyPins, backups, enrollmentTokens, hosts } from "../db/schema.ts";
import type { AppEnv } from "../http/app-env.ts";
import { unwrap } from "../rollbacks/rpc-outcome.ts";

export const hostRetireRoutes = new Hono<AppEnv>().delete("/:host", requireRole("admin"), async (c) => {
  const host = parseOrThrow(hostName, c.req.param("host"), "host name");
  const actor = c.get("actor");
  const db = database(c.env);
  const [row] = await db.select({ fingerprint: hosts.fingerprint }).from(hosts).where(eq(hosts.name, host)).limit(1);
  if (row === undefined) throw new RewindError("NOT_FOUND", `host ${host} is not enrolled`);
  // The channel first: it refuses while a rollback is queued or running, before anything changed.
  const channel = unwrap(await c.env.HOST.get(c.env.HOST.idFromName(host)).retire(host, actor));
  const now = Date.now();
  // Enrollments minted before the retirement (for this machine or a takeover) must not enroll the name.
  const voided = await db
    .update(enrollmentTokens)
    .set({ expiresAt: now })
    .where(and(eq(enrollmentTokens.host, host), isNull(enrollmentTokens.usedAt)))
    .returning({ id: enrollmentTokens.id });
  await db.delete(backups).where(eq(backups.host, host));
  await db.delete(agentKeyPins).where(eq(agentKeyPins.host, host));
  await db.delete(hosts).where(eq(hosts.name, host));
  const answer = { host, retired: true, ...channel, voidedEnrollments: voided.map((e) => e.id) };
  await appendAudit(c.env, { actor, action: "host.retired", subject: `host:${host}`, details: { fingerprint: row.fingerprint, ...answer } });
  return c.json(answer);
});

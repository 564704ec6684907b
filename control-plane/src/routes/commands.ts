// POST /v1/hosts/:host/commands (operator): sign a command for one host and queue it in the host's
// Durable Object (rollbacks excepted: they go through /v1/rollbacks). GET /v1/commands/:id (viewer+):
// its state, outcome and the agent's reports.
import { and, eq } from "drizzle-orm";
import { Hono } from "hono";
import * as z from "../../../shared/schemas/zod.ts";
import { RewindError } from "../../../shared/errors.ts";
import { commandAction, maxCommandTtlSeconds, preconditions } from "../../../shared/schemas/command.ts";
import { hostName, id as idSchema } from "../../../shared/schemas/common.ts";
import { parseOrThrow } from "../../../shared/schemas/zod-error.ts";
import { appendAudit } from "../audit/append.ts";
import { requireRole } from "../auth/middleware.ts";
import { readers } from "../auth/roles.ts";
import { database } from "../db/client.ts";
import { reportArrivalOrder } from "../db/report-order.ts";
import { commandReports, commands, hosts } from "../db/schema.ts";
import { signHostCommand } from "../host-channel/sign-command.ts";
import type { AppEnv } from "../http/app-env.ts";
import { readBody } from "../http/body.ts";

const queueBody = z.strictObject({
  action: commandAction,
  ttlSeconds: z._default(z.number().check(z.int(), z.gte(5), z.lte(maxCommandTtlSeconds)), 300),
  preconditions: z.optional(preconditions),
});

function iso(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}

export const hostCommandRoutes = new Hono<AppEnv>().post("/:host/commands", requireRole("operator"), async (c) => {
  const host = parseOrThrow(hostName, c.req.param("host"), "host name");
  const body = await readBody(c, queueBody, "command");
  const actor = c.get("actor");
  const [known] = await database(c.env).select({ name: hosts.name }).from(hosts).where(eq(hosts.name, host)).limit(1);
  if (known === undefined) throw new RewindError("NOT_FOUND", `host ${host} is not enrolled`);
  if (body.action.type === "rollback") {
    // A raw rollback command would skip the confirmation, the approvals and the one-at-a-time rule.
    throw new RewindError("BAD_REQUEST", "rollbacks are requested with POST /v1/rollbacks, not as a raw command", {
      details: { field: "action.type" },
    });
  }
  if (body.action.type === "key-update") {
    // Agents would pin whatever key it names: only the control plane's own published keys go out,
    // through the rotation (POST /v1/signing-keys/rollout).
    throw new RewindError("BAD_REQUEST", "key-update commands are sent by the key rotation (POST /v1/signing-keys/rollout), not as a raw command", {
      details: { field: "action.type" },
    });
  }
  const now = new Date();
  const { claims, jws } = await signHostCommand(c.env, host, body.action, {
    ttlSeconds: body.ttlSeconds,
    now,
    ...(body.preconditions === undefined ? {} : { preconditions: body.preconditions }),
  });
  const stub = c.env.HOST.get(c.env.HOST.idFromName(host));
  const { state } = await stub.enqueue({
    host,
    commandId: claims.jti,
    jws,
    action: body.action,
    createdAt: now.getTime(),
    createdBy: actor.tokenId,
    expiresAt: claims.exp * 1000,
  });
  await appendAudit(c.env, {
    actor,
    action: "command.queued",
    subject: `command:${claims.jti}`,
    details: { host, action: body.action, expiresAt: iso(claims.exp * 1000), ...(claims.pre === undefined ? {} : { pre: claims.pre }) },
  });
  return c.json({ commandId: claims.jti, state, host, expiresAt: iso(claims.exp * 1000) }, 202);
});

export const commandRoutes = new Hono<AppEnv>().get("/:id", requireRole(...readers), async (c) => {
  const id = parseOrThrow(idSchema, c.req.param("id"), "command id");
  const db = database(c.env);
  const [row] = await db.select().from(commands).where(eq(commands.id, id)).limit(1);
  if (row === undefined) throw new RewindError("NOT_FOUND", `no command ${id}`);
  const reports = await db
    .select()
    .from(commandReports)
    .where(and(eq(commandReports.commandId, id), eq(commandReports.host, row.host)))
    .orderBy(...reportArrivalOrder);
  return c.json({
    id: row.id,
    host: row.host,
    action: JSON.parse(row.action) as unknown,
    state: row.state,
    createdAt: iso(row.createdAt),
    createdBy: row.createdBy,
    expiresAt: iso(row.expiresAt),
    updatedAt: iso(row.updatedAt),
    deliveredAt: iso(row.deliveredAt),
    acknowledgedAt: iso(row.acknowledgedAt),
    finishedAt: iso(row.finishedAt),
    outcome: row.outcome === null ? null : (JSON.parse(row.outcome) as unknown),
    reports: reports.map((report) => ({
      id: report.id,
      kind: report.kind,
      receivedAt: iso(report.receivedAt),
      body: JSON.parse(report.body) as unknown,
    })),
  });
});

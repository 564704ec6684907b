// The alert webhooks (alert-source role: what Alertmanager and Grafana can send as a bearer token):
// POST /v1/alerts/alertmanager, /v1/alerts/grafana, /v1/alerts (generic). GET /v1/alerts (viewer+)
// lists every decision with its reason; POST /v1/alerts/hosts/:host/reset (operator) is the person
// acting that lets automatic rollbacks of a host resume after the streak limit.
import type { Context } from "hono";
import { Hono } from "hono";
import * as z from "../../../shared/schemas/zod.ts";
import { RewindError } from "../../../shared/errors.ts";
import type { AlertSignal } from "../../../shared/schemas/alerts.ts";
import { hostName } from "../../../shared/schemas/common.ts";
import { parseOrThrow } from "../../../shared/schemas/zod-error.ts";
import { appendAudit } from "../audit/append.ts";
import { requireRole } from "../auth/middleware.ts";
import { readers } from "../auth/roles.ts";
import type { AppEnv } from "../http/app-env.ts";
import { signalsFromAlertmanager, signalsFromGeneric, signalsFromGrafana } from "../policy/normalize.ts";
import { spendAlertBudget } from "./delivery-budget.ts";
import { processSignals } from "./process.ts";
import { type DecisionRow, hostMemory, listDecisions, resetStreak } from "./store.ts";

async function jsonBody(c: Context<AppEnv>): Promise<unknown> {
  try {
    return await c.req.json();
  } catch (error) {
    throw new RewindError("BAD_REQUEST", "alert webhook: body is not valid JSON", { cause: error });
  }
}

function webhook(normalize: (body: unknown, receivedAt: Date) => AlertSignal[]) {
  return async (c: Context<AppEnv>) => {
    const signals = normalize(await jsonBody(c), new Date());
    await spendAlertBudget(c.env, c.get("actor"), signals.length);
    const outcomes = await processSignals(c.env, signals, c.get("actor"), (promise) => c.executionCtx.waitUntil(promise));
    // 200 whatever was decided: a non-2xx makes Alertmanager and Grafana resend the whole group.
    return c.json({ decisions: outcomes });
  };
}

const listQuery = z.strictObject({
  host: z.optional(hostName),
  decision: z.optional(z.enum(["rollback", "none"])),
  limit: z._default(z.coerce.number().check(z.int(), z.gte(1), z.lte(1000)), 200),
});

function view(row: DecisionRow) {
  return {
    id: row.id,
    receivedAt: new Date(row.receivedAt).toISOString(),
    source: row.source,
    host: row.host,
    alertname: row.alertname,
    status: row.status,
    episodeKey: row.episodeKey,
    decision: row.decision,
    code: row.reasonCode,
    reason: row.reason,
    rollbackId: row.rollbackId,
    deliveries: row.deliveries,
    lastDeliveryAt: new Date(row.lastDeliveryAt).toISOString(),
    signal: JSON.parse(row.payload) as unknown,
  };
}

const resetBody = z.strictObject({ reason: z.string().check(z.minLength(1), z.maxLength(500)) });

export const alertRoutes = new Hono<AppEnv>()
  .post("/alertmanager", requireRole("alert-source"), webhook(signalsFromAlertmanager))
  .post("/grafana", requireRole("alert-source"), webhook(signalsFromGrafana))
  .post("/", requireRole("alert-source"), webhook(signalsFromGeneric))
  .get("/", requireRole(...readers, "auditor"), async (c) => {
    const query = parseOrThrow(listQuery, c.req.query(), "alert list query");
    const rows = await listDecisions(c.env, {
      limit: query.limit,
      ...(query.host === undefined ? {} : { host: query.host }),
      ...(query.decision === undefined ? {} : { decision: query.decision }),
    });
    return c.json({ decisions: rows.map(view) });
  })
  .get("/hosts/:host", requireRole(...readers, "auditor"), async (c) => {
    const host = parseOrThrow(hostName, c.req.param("host"), "host name");
    const memory = await hostMemory(c.env, host);
    return c.json({
      host,
      streak: memory?.streak ?? 0,
      lastAutomaticAt: memory?.lastAutomaticAt == null ? null : new Date(memory.lastAutomaticAt).toISOString(),
      resetAt: memory?.resetAt == null ? null : new Date(memory.resetAt).toISOString(),
      resetBy: memory?.resetBy ?? null,
    });
  })
  .post("/hosts/:host/reset", requireRole("operator"), async (c) => {
    const host = parseOrThrow(hostName, c.req.param("host"), "host name");
    let raw: unknown;
    try {
      raw = await c.req.json();
    } catch (error) {
      throw new RewindError("BAD_REQUEST", 'streak reset: body is not valid JSON; send {"reason": "…"}', { cause: error });
    }
    const body = parseOrThrow(resetBody, raw, "streak reset");
    const actor = c.get("actor");
    const previous = await resetStreak(c.env, host, Date.now(), actor.tokenId);
    await appendAudit(c.env, {
      actor,
      action: "policy.streak-reset",
      subject: `host:${host}`,
      details: { previousStreak: previous, reason: body.reason },
    });
    return c.json({ host, streak: 0, previousStreak: previous });
  });

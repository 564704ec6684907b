// Alerts end to end: Alertmanager v4 and Grafana webhooks against the control plane in workerd,
// with the scenario host's real agent rolling the demo stack back. Resolved, staging and cooldown
// alerts start nothing and say why, in GET /v1/alerts and the audit log; a storm of 1,000
// concurrent deliveries of one alert starts exactly one rollback.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import amHealth from "../fixtures/alerts/alertmanager-health-firing.json" with { type: "json" };
import amResolved from "../fixtures/alerts/alertmanager-resolved.json" with { type: "json" };
import amStaging from "../fixtures/alerts/alertmanager-staging.json" with { type: "json" };
import grafanaFiring from "../fixtures/alerts/grafana-firing.json" with { type: "json" };
import { alertsForHost, type Json, startTriggerWorld, type TriggerWorld } from "./alerts-fixture.ts";

let world: TriggerWorld;
let alertToken: string;
let viewerToken: string;
let auditorToken: string;

beforeAll(async () => {
  world = await startTriggerWorld();
  [alertToken, viewerToken, auditorToken] = await Promise.all([world.token("alert-source"), world.token("viewer"), world.token("auditor")]);
});

afterAll(async () => {
  await world?.stop();
});

/** A connection the server dropped before answering: undici's "other side closed", or a reset. */
function droppedConnection(error: unknown): boolean {
  const cause = error instanceof TypeError ? (error.cause as { code?: unknown } | undefined) : undefined;
  return cause?.code === "UND_ERR_SOCKET" || cause?.code === "ECONNRESET";
}

/**
 * Delivers as Alertmanager does, resending when the connection is dropped unanswered. workerd's HTTP
 * server closes a keep-alive connection whose next request it has not read within its timeout; with
 * workerd starved of CPU for seconds (a loaded machine), it drops requests already sent that way,
 * unread (no log, no response). Nothing was processed, so `deliveries` still counts each one once.
 */
async function deliver(route: string, payload: unknown, attempt = 1): Promise<{ status: number; body: Json }> {
  try {
    const response = await world.controlPlane.api(route, {
      method: "POST",
      headers: { authorization: `Bearer ${alertToken}` },
      body: JSON.stringify(payload),
    });
    return { status: response.status, body: (await response.json()) as Json };
  } catch (error) {
    if (attempt >= 3 || !droppedConnection(error)) throw error;
    return deliver(route, payload, attempt + 1);
  }
}

function onlyDecision(body: Json): Json {
  const decisions = body.decisions as Json[];
  expect(decisions).toHaveLength(1);
  return decisions[0] as Json;
}

async function decisionsAs(token: string): Promise<Json[]> {
  const response = await world.controlPlane.api(`/v1/alerts?host=${world.host}`, { headers: { authorization: `Bearer ${token}` } });
  expect(response.status).toBe(200);
  return ((await response.json()) as { decisions: Json[] }).decisions;
}

async function rollbacksOfHost(): Promise<Json[]> {
  return (await world.json(`/v1/rollbacks?host=${world.host}`)).rollbacks as Json[];
}

async function policyAudit(): Promise<Json[]> {
  const response = await world.controlPlane.api("/v1/audit?limit=10000", { headers: { authorization: `Bearer ${auditorToken}` } });
  expect(response.status).toBe(200);
  const lines = (await response.text()).split("\n").filter((line) => line.trim() !== "");
  // One entry per delivery with its decisions inside: flattened, each with the entry's subject and actor.
  return lines
    .map((line) => JSON.parse(line) as Json)
    .filter((entry) => entry.action === "policy.decisions")
    .flatMap((entry) => ((entry.details as Json).decisions as Json[]).map((details) => ({ subject: entry.subject, actor: entry.actor, details })));
}

/** Ages the host's last automatic rollback past the 30-minute cooldown, as time would. */
async function ageCooldown(): Promise<void> {
  const db = await world.controlPlane.d1();
  await db.prepare("UPDATE alert_host_state SET last_automatic_at = last_automatic_at - 31 * 60000 WHERE host = ?").bind(world.host).run();
}

describe("alert webhooks", () => {
  it("refuses a token without the alert-source role", async () => {
    const response = await world.controlPlane.api("/v1/alerts/alertmanager", {
      method: "POST",
      headers: { authorization: `Bearer ${viewerToken}` },
      body: JSON.stringify(alertsForHost(amHealth, world.host, { fingerprint: "f0000000000000aa", startsAt: "2026-11-25T09:00:00Z" })),
    });
    expect(response.status).toBe(403);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe("FORBIDDEN");
  });

  it("a resolved alert and a staging alert start nothing, and say why", async () => {
    const resolved = await deliver(
      "/v1/alerts/alertmanager",
      alertsForHost(amResolved, world.host, { fingerprint: "f0000000000000a1", startsAt: "2026-11-25T09:10:00Z" }),
    );
    expect(resolved.status).toBe(200);
    expect(onlyDecision(resolved.body)).toMatchObject({ host: world.host, decision: "none", code: "RESOLVED", repeat: false });

    const staging = await deliver(
      "/v1/alerts/alertmanager",
      alertsForHost(amStaging, world.host, { fingerprint: "f0000000000000a2", startsAt: "2026-11-25T09:11:00Z" }),
    );
    expect(onlyDecision(staging.body)).toMatchObject({ host: world.host, decision: "none", code: "NON_PRODUCTION" });
    expect(String(onlyDecision(staging.body).reason)).toContain("staging is not production");

    expect(await rollbacksOfHost()).toEqual([]);
    const listed = await decisionsAs(viewerToken);
    expect(listed.map((d) => [d.code, d.decision, d.rollbackId])).toEqual([
      ["NON_PRODUCTION", "none", null],
      ["RESOLVED", "none", null],
    ]);
    expect(String(listed[1]?.reason)).toContain("resolved");
    const audited = await policyAudit();
    expect(audited.map((entry) => (entry.details as Json).code)).toEqual(["RESOLVED", "NON_PRODUCTION"]);
    expect(audited[0]).toMatchObject({ subject: `host:${world.host}`, actor: { kind: "token", role: "alert-source" } });
  });

  it("a storm of 1,000 concurrent deliveries of one Alertmanager alert starts exactly one rollback, which succeeds", async () => {
    const payload = alertsForHost(amHealth, world.host, { fingerprint: "4f2e1c9a0b7d3e61", startsAt: "2026-11-25T10:14:03.739266876Z" });
    const statuses: number[] = [];
    const outcomes: Json[] = [];
    let next = 0;
    // Bounded concurrency: 50 senders, as an HA pair's retries and group re-sends would pile up.
    await Promise.all(
      Array.from({ length: 50 }, async () => {
        while (next < 1000) {
          next += 1;
          const { status, body } = await deliver("/v1/alerts/alertmanager", payload);
          statuses.push(status);
          outcomes.push(onlyDecision(body));
        }
      }),
    );
    expect(statuses).toHaveLength(1000);
    expect(statuses.every((status) => status === 200)).toBe(true);
    const first = outcomes.filter((outcome) => outcome.repeat === false);
    expect(first).toHaveLength(1);
    expect(first[0]).toMatchObject({ decision: "rollback", code: "HEALTH_CHECK_FAILURES", host: world.host });
    const rollbackId = String(first[0]?.rollbackId);
    expect(outcomes.filter((outcome) => outcome.repeat === true).every((outcome) => outcome.code === "DUPLICATE_EPISODE")).toBe(true);

    const rollbacks = await rollbacksOfHost();
    expect(rollbacks).toHaveLength(1);
    expect(rollbacks[0]).toMatchObject({ rollbackId, automatic: true, source: "alertmanager" });
    const [recorded] = (await decisionsAs(viewerToken)).filter((d) => d.rollbackId === rollbackId);
    expect(recorded).toMatchObject({ decision: "rollback", code: "HEALTH_CHECK_FAILURES", deliveries: 1000 });
    expect((await policyAudit()).filter((entry) => (entry.details as Json).rollbackId === rollbackId)).toHaveLength(1);

    expect(await world.waitForFinal(rollbackId)).toMatchObject({ state: "succeeded" });
  });

  it("a new episode inside the cooldown starts nothing, with the cooldown as the reason", async () => {
    const repeat = await deliver(
      "/v1/alerts/alertmanager",
      alertsForHost(amHealth, world.host, { fingerprint: "4f2e1c9a0b7d3e61", startsAt: "2026-11-25T11:40:00Z" }),
    );
    const decision = onlyDecision(repeat.body);
    expect(decision).toMatchObject({ decision: "none", code: "COOLDOWN", repeat: false });
    expect(String(decision.reason)).toMatch(/cooldown of 30 min runs until/);
    expect(await rollbacksOfHost()).toHaveLength(1);
    expect((await policyAudit()).at(-1)).toMatchObject({ details: { code: "COOLDOWN", decision: "none" } });
  });

  it("a Grafana alert after the cooldown starts one rollback; the next waits for a person, who resets the streak", async () => {
    await ageCooldown();
    const grafana = await deliver(
      "/v1/alerts/grafana",
      alertsForHost(grafanaFiring, world.host, { fingerprint: "bc97ff14869b13e3", startsAt: "2026-11-25T12:05:00.157076+02:00" }),
    );
    const decision = onlyDecision(grafana.body);
    expect(decision).toMatchObject({ decision: "rollback", code: "ERROR_RATE", host: world.host });
    const rollbackId = String(decision.rollbackId);
    expect((await rollbacksOfHost()).map((r) => [r.rollbackId, r.source])).toContainEqual([rollbackId, "grafana"]);
    expect(await world.waitForFinal(rollbackId)).toMatchObject({ state: "succeeded" });

    // Two automatic rollbacks in a row (the default cap): the third waits for a person.
    await ageCooldown();
    const third = await deliver(
      "/v1/alerts/alertmanager",
      alertsForHost(amHealth, world.host, { fingerprint: "4f2e1c9a0b7d3e61", startsAt: "2026-11-25T12:30:00Z" }),
    );
    expect(onlyDecision(third.body)).toMatchObject({ decision: "none", code: "STREAK_LIMIT" });

    const operator = await world.token("operator");
    const reset = await world.controlPlane.api(`/v1/alerts/hosts/${world.host}/reset`, {
      method: "POST",
      headers: { authorization: `Bearer ${operator}` },
      body: JSON.stringify({ reason: "looked at it: the alert rule was noisy" }),
    });
    expect(reset.status).toBe(200);
    expect(await reset.json()).toMatchObject({ streak: 0, previousStreak: 2 });
    expect(await world.json(`/v1/alerts/hosts/${world.host}`)).toMatchObject({ streak: 0 });
    expect(await rollbacksOfHost()).toHaveLength(2);
  });
});

// Issue 14.7, the load: one 64 KiB webhook delivery carries hundreds of alerts, each decided with D1
// work, and each used to append its own audit entry. Now a delivery is one audit entry with every
// decision inside, and an alert-source token past its alerts a minute gets 429 for the whole delivery
// (audited once a minute), while another token is unaffected. The control plane in workerd.
import { afterAll, beforeAll, expect, it } from "vitest";
import { type ControlPlaneWorld, startControlPlane } from "../world/control-plane.ts";
import { auditLines } from "./rollbacks-helpers.ts";

type Json = Record<string, unknown>;

let world: ControlPlaneWorld;

beforeAll(async () => {
  world = await startControlPlane({ env: { ALERT_POLICY: JSON.stringify({ maxAlertsPerTokenPerMinute: 500 }) } });
});

afterAll(async () => {
  await world?.stop();
});

async function token(label: string): Promise<string> {
  const response = await world.api("/v1/tokens", { method: "POST", body: JSON.stringify({ role: "alert-source", label }) });
  return String(((await response.json()) as Json).token);
}

/** A delivery of `count` alerts naming no Rewind host (each decided NO_HOST), well under 64 KiB. */
function delivery(batch: number, count: number): string {
  const alerts = Array.from({ length: count }, (_, i) => ({
    status: "firing",
    labels: { alertname: "DiskFilling" },
    startsAt: "2026-11-25T09:00:00Z",
    fingerprint: `b${batch}a${i}`,
  }));
  const body = JSON.stringify({ version: "4", groupKey: `g${batch}`, status: "firing", receiver: "rewind", externalURL: "http://am", alerts });
  expect(body.length).toBeLessThan(64 * 1024);
  return body;
}

async function send(bearer: string, body: string): Promise<{ status: number; body: Json }> {
  const response = await world.api("/v1/alerts/alertmanager", { method: "POST", headers: { authorization: `Bearer ${bearer}` }, body });
  return { status: response.status, body: (await response.json()) as Json };
}

it("writes one audit entry per delivery and refuses a token past its alerts a minute", async () => {
  const [alerting, other] = [await token("prometheus"), await token("grafana")];
  // Everything below inside one minute, so the budget is exact.
  const second = new Date().getUTCSeconds();
  if (second > 15) await new Promise((resolve) => setTimeout(resolve, (61 - second) * 1000));

  const first = await send(alerting, delivery(1, 200));
  expect(first.status).toBe(200);
  expect(first.body.decisions as Json[]).toHaveLength(200);
  expect((first.body.decisions as Json[]).every((d) => d.code === "NO_HOST")).toBe(true);
  expect((await send(alerting, delivery(2, 200))).status).toBe(200);
  const over = await send(alerting, delivery(3, 200));
  expect(over.status).toBe(429);
  expect(over.body).toMatchObject({ error: { code: "RATE_LIMITED" } });
  expect((await send(alerting, delivery(4, 10))).status).toBe(200);
  expect((await send(alerting, delivery(5, 200))).status).toBe(429);
  expect((await send(other, delivery(6, 50))).status).toBe(200);

  const entries = await auditLines<Json>(world);
  const deliveries = entries.filter((e) => e.action === "policy.decisions");
  expect(deliveries.map((e) => ((e.details as Json).decisions as Json[]).length)).toEqual([200, 200, 10, 50]);
  expect(deliveries[0]).toMatchObject({ subject: "alerts:alertmanager", details: { source: "alertmanager", alerts: 200, rollbacks: 0 } });
  expect((((deliveries[0]?.details ?? {}) as Json).decisions as Json[])[0]).toMatchObject({ alertname: "DiskFilling", decision: "none", code: "NO_HOST" });
  const refused = entries.filter((e) => e.action === "policy.delivery-refused");
  expect(refused).toHaveLength(1);
  expect(refused[0]).toMatchObject({ details: { code: "RATE_LIMITED", alerts: 200, limitPerMinute: 500 } });
}, 240_000);

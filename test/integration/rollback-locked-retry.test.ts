// An alert-driven rollback that reaches the host while a backup runs (issue 14.13): the real agent
// refuses its command LOCKED. Before, the rollback became `failed` and the alert's episode was never
// tried again; now it stays queued, is sent again as a new signed command once the backup's result
// arrives, and runs to the end. Control plane in workerd, the demo stack in Docker, PostgreSQL, the
// real `rewind agent run`.
import { afterAll, beforeAll, expect, it } from "vitest";
import amHealth from "../fixtures/alerts/alertmanager-health-firing.json" with { type: "json" };
import { alertRollback, alertsForHost, type Json, startTriggerWorld, type TriggerWorld } from "./alerts-fixture.ts";
import { auditLines } from "./rollbacks-helpers.ts";

let world: TriggerWorld;
let alertToken: string;

beforeAll(async () => {
  // A larger database keeps the backup busy while the alert's rollback command arrives.
  world = await startTriggerWorld({}, { scenario: { extraDataMB: 60 } });
  alertToken = await world.token("alert-source");
});

afterAll(async () => {
  await world?.stop();
});

async function commandState(commandId: string): Promise<string> {
  return String((await world.json(`/v1/commands/${commandId}`)).state);
}

it("is refused LOCKED during a backup, waits queued, and runs once the backup finished", async () => {
  const backup = await world.json(`/v1/hosts/${world.host}/commands`, { method: "POST", body: JSON.stringify({ action: { type: "backup" } }) });
  const backupId = String(backup.commandId);
  const deadline = Date.now() + 60_000;
  while (!["acknowledged", "running"].includes(await commandState(backupId))) {
    if (Date.now() > deadline) throw new Error(`backup command still ${await commandState(backupId)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }

  const rollbackId = await alertRollback(
    world,
    alertToken,
    alertsForHost(amHealth, world.host, { fingerprint: "f0000000000000c1", startsAt: "2026-11-25T09:30:00Z" }),
  );

  const rollback = await world.waitForFinal(rollbackId, 300_000);
  expect(rollback.state).toBe("succeeded");
  expect(await commandState(backupId)).toBe("succeeded");

  const entries = await auditLines<Json>(world.controlPlane);
  const waited = entries.filter((e) => e.action === "rollback.waiting-for-host" && e.subject === `rollback:${rollbackId}`);
  expect(waited.length).toBeGreaterThanOrEqual(1);
  expect(waited[0]?.details).toMatchObject({ code: "LOCKED", attempts: 1 });
  const queued = entries.filter((e) => e.action === "rollback.queued" && e.subject === `rollback:${rollbackId}`);
  expect(queued.length).toBe(waited.length + 1);
  expect(queued.at(-1)?.details).toMatchObject({ retry: waited.length });
  // The commands carrying it: the refused one and the one that ran, distinct signed commands.
  const commandIds = queued.map((e) => (e.details as Json).commandId);
  expect(new Set(commandIds).size).toBe(commandIds.length);
  expect(await commandState(String(commandIds[0]))).toBe("rejected");
  expect(await commandState(String(commandIds.at(-1)))).toBe("succeeded");
}, 600_000);

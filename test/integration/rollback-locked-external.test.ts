// Issue 14.13 when ANOTHER PROCESS holds the host (a cron `rewind backup`, a `rewind deploy`; here a
// real second process holding the host-wide lock, test/world/host-lock-holder.ts). Before, the agent
// acknowledged the rollback command and its handler then failed LOCKED at once: the rollback ended
// `failed`, never retried. Now the agent takes the host lock before the ack and refuses LOCKED naming
// the holder; the control plane keeps the rollback queued and sends it again until the first
// command's validity ends. Control plane in workerd, the demo stack in Docker, PostgreSQL, the real
// `rewind agent run`.
import { afterAll, beforeAll, expect, it } from "vitest";
import amHealth from "../fixtures/alerts/alertmanager-health-firing.json" with { type: "json" };
import { type Holder, startHostLockHolder } from "../world/host-lock-process.ts";
import { alertRollback, alertsForHost, type Json, startTriggerWorld, type TriggerWorld } from "./alerts-fixture.ts";
import { auditLines } from "./rollbacks-helpers.ts";

/** Short, so the holder can outlive it in a test: resends stop 10 s before it ends. */
const commandTtlSeconds = 45;

let world: TriggerWorld;
let alertToken: string;
const holders: Holder[] = [];

beforeAll(async () => {
  world = await startTriggerWorld({ env: { ROLLBACK_COMMAND_TTL_SECONDS: String(commandTtlSeconds) } });
  alertToken = await world.token("alert-source");
}, 300_000);

afterAll(async () => {
  for (const holder of holders) await holder.finish();
  await world?.stop();
});

async function holdHost(operation: string): Promise<Holder> {
  const holder = startHostLockHolder(world.scenario.config.stateDir, operation);
  holders.push(holder);
  await holder.ready;
  holder.go();
  expect(await holder.line).toBe(`acquired ${holder.child.pid}`);
  return holder;
}

async function audit(rollbackId: string, action: string): Promise<Json[]> {
  return (await auditLines<Json>(world.controlPlane)).filter((e) => e.action === action && e.subject === `rollback:${rollbackId}`);
}

function detailsOf(entry: Json | undefined): Json {
  return (entry?.details ?? {}) as Json;
}

async function commandState(commandId: unknown): Promise<string> {
  return String((await world.json(`/v1/commands/${String(commandId)}`)).state);
}

it("waits queued while a cron backup process holds the host, and runs once it exited (alert-driven)", async () => {
  const cron = await holdHost("backup (cron)");
  const rollbackId = await alertRollback(
    world,
    alertToken,
    alertsForHost(amHealth, world.host, { fingerprint: "f0000000000000e1", startsAt: "2026-11-25T09:30:00Z" }),
  );

  const deadline = Date.now() + 60_000;
  let [refused] = await audit(rollbackId, "rollback.waiting-for-host");
  while (refused === undefined) {
    if (Date.now() > deadline) throw new Error(`rollback ${rollbackId} was not refused LOCKED; agent log:\n${world.agent.logs().slice(-20).join("\n")}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
    [refused] = await audit(rollbackId, "rollback.waiting-for-host");
  }
  expect(detailsOf(refused)).toMatchObject({ code: "LOCKED", attempts: 1, reason: expect.stringContaining(`backup (cron) (pid ${cron.child.pid}`) });
  // Refused before any ack: the command is `rejected`, the rollback still queued, nothing started.
  expect(await commandState(detailsOf(refused).commandId)).toBe("rejected");
  expect((await world.json(`/v1/rollbacks/${rollbackId}`)).state).toBe("queued");

  await cron.finish();
  const rollback = await world.waitForFinal(rollbackId, 240_000);
  expect(rollback.state).toBe("succeeded");
  const queued = await audit(rollbackId, "rollback.queued");
  const refusals = await audit(rollbackId, "rollback.waiting-for-host");
  expect(queued.length).toBe(refusals.length + 1);
  expect(await commandState(detailsOf(queued.at(-1)).commandId)).toBe("succeeded");
}, 400_000);

it("fails LOCKED, naming the holder, when a deploy holds the host past the command's validity", async () => {
  const deploy = await holdHost("deploy");
  const requested = await world.json("/v1/rollbacks", {
    method: "POST",
    body: JSON.stringify({ host: world.host, reason: "checkout broken", confirm: world.host }),
  });
  const rollbackId = String(requested.rollbackId);

  const rollback = await world.waitForFinal(rollbackId, (commandTtlSeconds + 60) * 1000);
  expect(rollback.state).toBe("failed");
  expect(rollback.outcome).toMatchObject({
    code: "LOCKED",
    message: expect.stringMatching(new RegExp(`^the host stayed busy until the rollback's command expired at .*: .*deploy \\(pid ${deploy.child.pid}`)),
  });
  // Tried more than once, each time a new signed command the agent refused without starting it.
  const refusals = await audit(rollbackId, "rollback.waiting-for-host");
  expect(refusals.length).toBeGreaterThanOrEqual(2);
  for (const refusal of refusals) expect(await commandState(detailsOf(refusal).commandId)).toBe("rejected");
  const moves = (await audit(rollbackId, "rollback.state-changed")).map((e) => `${String(detailsOf(e).from)}->${String(detailsOf(e).to)}`);
  expect(moves).toEqual(["queued->failed"]);
}, 300_000);

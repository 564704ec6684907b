// A rollback whose agent acknowledged it and then vanished (issue 14.3): the real agent process is
// SIGKILLed mid-rollback. Before, the rollback stayed `running` forever and every later request got
// CONFLICT. Now it becomes `lost` past its deadline (last progress + a step's timeout + the watch
// window, short here), audited and notified; the agent coming back reports its real outcome; and an
// admin can abandon a running rollback at once with `rewind abandon` (operators cannot). Control
// plane in workerd, the demo stack in Docker, PostgreSQL, the real `rewind agent run`.
import type Docker from "dockerode";
import { afterAll, beforeAll, expect, it } from "vitest";
import { type AgentProcess, spawnAgent } from "../world/agent.ts";
import { type ControlPlaneWorld, startControlPlane } from "../world/control-plane.ts";
import { requireDocker } from "../world/docker.ts";
import { type PgCluster, startPostgres } from "../world/postgres.ts";
import { prepareScenario, type Scenario } from "./rollback-fixture.ts";
import { apiJson, auditLines, enrolledAgent, expectLostAudited, mintToken, rewindCli, stopScenarioWorld, untilRollback } from "./rollbacks-helpers.ts";

let docker: Docker;
let cluster: PgCluster;
let scenario: Scenario;
let world: ControlPlaneWorld;
let agent: AgentProcess | undefined;
let operator: { token: string };

beforeAll(async () => {
  docker = await requireDocker();
  [cluster, world] = await Promise.all([startPostgres(), startControlPlane({ env: { ROLLBACK_STEP_TIMEOUT_SECONDS: "8", ROLLBACK_WATCH_SECONDS: "2" } })]);
  scenario = await prepareScenario(docker, cluster, { extraDataMB: 60 });
  operator = await mintToken(world, "operator", "olga");
  agent = await enrolledAgent(world, scenario, "backup");
});

afterAll(async () => {
  await stopScenarioWorld({ agent, world, scenario, cluster });
});

function request(reason: string): Promise<{ status: number; body: { rollbackId: string; state: string; error?: { code: string } } }> {
  const host = scenario.config.host;
  return apiJson(world, "/v1/rollbacks", { method: "POST", token: operator.token, body: JSON.stringify({ host, reason, confirm: host }) });
}

async function stateOf(rollbackId: string): Promise<{ state: string; outcome?: { code?: string; message?: string } }> {
  return (await apiJson<{ state: string; outcome?: { code?: string; message?: string } }>(world, `/v1/rollbacks/${rollbackId}`)).body;
}

async function reaches(rollbackId: string, state: string, timeoutMs = 90_000): Promise<void> {
  await untilRollback(world, rollbackId, state, (d) => d.state === state, timeoutMs, agent);
}

it("a rollback whose agent died becomes lost past its deadline and frees the host; the agent's late result still counts", async () => {
  const first = await request("v2 broke checkout");
  expect(first.status).toBe(202);
  const rollbackId = first.body.rollbackId;
  await reaches(rollbackId, "running");
  agent?.kill("SIGKILL");
  await agent?.exited;
  agent = undefined;

  const blocked = await request("still broken");
  expect(blocked.status).toBe(409);
  expect(blocked.body.error?.code).toBe("CONFLICT");

  await reaches(rollbackId, "lost", 60_000);
  expect((await stateOf(rollbackId)).outcome).toMatchObject({ code: "LOST", message: expect.stringContaining("no word from the agent") });
  expectLostAudited(await auditLines(world), rollbackId);
  const status = await rewindCli(world, operator.token, ["status", rollbackId]);
  expect(status.code).toBe(1);
  expect(status.stdout).toContain("lost");

  // The agent comes back, resumes from its journal and reports the real outcome.
  agent = spawnAgent(scenario.configFile);
  await reaches(rollbackId, "succeeded", 240_000);

  // The abandon below must meet a rollback that can neither finish nor go lost on its own first (under
  // load, 8 s + 2 s of silence can pass between two reports): long deadlines, and its agent killed once
  // the rollback runs.
  await world.restart({ ROLLBACK_STEP_TIMEOUT_SECONDS: "3600", ROLLBACK_WATCH_SECONDS: "600" });
  const next = await request("roll back again after checking the host");
  expect(next.status).toBe(202);
  await reaches(next.body.rollbackId, "running");
  agent?.kill("SIGKILL");
  await agent?.exited;
  agent = undefined;
  const byOperator = await rewindCli(world, operator.token, ["abandon", next.body.rollbackId, "--reason", "host is gone"]);
  expect(byOperator.code).toBe(1);
  expect(byOperator.stderr).toContain("FORBIDDEN");
  const abandoned = await rewindCli(world, world.adminToken, ["abandon", next.body.rollbackId, "--reason", "host reinstalled from scratch", "--json"]);
  expect(abandoned.code).toBe(0);
  expect(JSON.parse(abandoned.stdout)).toMatchObject({ rollbackId: next.body.rollbackId, state: "lost" });
  expect((await stateOf(next.body.rollbackId)).outcome).toMatchObject({ code: "ABANDONED", message: expect.stringContaining("host reinstalled from scratch") });
  const again = await apiJson(world, `/v1/rollbacks/${next.body.rollbackId}/abandon`, { method: "POST", body: JSON.stringify({ reason: "twice" }) });
  expect(again.status).toBe(409);
  const abandonedEntries = await auditLines(world);
  expect(abandonedEntries).toContainEqual(
    expect.objectContaining({
      action: "rollback.state-changed",
      subject: `rollback:${next.body.rollbackId}`,
      details: expect.objectContaining({ to: "lost", abandoned: true, reason: "host reinstalled from scratch" }),
    }),
  );
  expect(abandonedEntries.some((e) => e.action === "rollback.abandon-refused" && e.subject === `rollback:${next.body.rollbackId}`)).toBe(true);
}, 600_000);

// A running rollback's lost deadline is per step (issue 14.3): last report + the running step's own
// timeout + the watch window, as the agent's signed progress reports give them from its config (here
// short PostgreSQL timeouts), while the control plane's settings stay at their defaults (4 h + 30 min).
// And the Worker's cron sweeps rollbacks past their deadline whose Durable Object alarm is not due:
// settings lowered after the alarm was set. Control plane in workerd, the demo stack in Docker,
// PostgreSQL, the real `rewind agent run`, SIGKILLed while it restores the staged database.
import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import type Docker from "dockerode";
import { afterAll, beforeAll, expect, it } from "vitest";
import { parseAgentConfig } from "../../agent/src/config.ts";
import { stepBound } from "../../agent/src/rollback/step-bounds.ts";
import { type AgentProcess, spawnAgent } from "../world/agent.ts";
import { type ControlPlaneWorld, startControlPlane } from "../world/control-plane.ts";
import { requireDocker } from "../world/docker.ts";
import { whenStepRuns } from "../world/faults.ts";
import { type PgCluster, startPostgres } from "../world/postgres.ts";
import { prepareScenario, type Scenario } from "./rollback-fixture.ts";
import { apiJson, auditLines, enrolledAgent, expectLostAudited, mintToken, requestRollback, stopScenarioWorld, untilRollback } from "./rollbacks-helpers.ts";

interface Detail {
  state: string;
  outcome?: { code?: string; message?: string };
  steps: { step: string; state: string }[];
}

let docker: Docker;
let cluster: PgCluster;
let scenario: Scenario;
let world: ControlPlaneWorld;
let agent: AgentProcess | undefined;
let operator: { token: string };
let firstRollback: string | undefined;

beforeAll(async () => {
  docker = await requireDocker();
  [cluster, world] = await Promise.all([startPostgres(), startControlPlane()]);
  // Big enough that the staged restore is still running when the agent is killed.
  scenario = await prepareScenario(docker, cluster, { extraDataMB: 60 });
  const raw = JSON.parse(await readFile(scenario.configFile, "utf8")) as {
    project: { database: Record<string, unknown> };
    thresholds: Record<string, unknown>;
  };
  raw.project.database.timeouts = { connectSeconds: 2, statementSeconds: 5, toolSeconds: 10 };
  raw.thresholds.watchSeconds = 1;
  await writeFile(scenario.configFile, JSON.stringify(raw, null, 2));
  operator = await mintToken(world, "operator", "olga");
  agent = await enrolledAgent(world, scenario, "backup");
});

afterAll(async () => {
  await stopScenarioWorld({ agent, world, scenario, cluster });
});

async function detail(rollbackId: string): Promise<Detail> {
  return (await apiJson<Detail>(world, `/v1/rollbacks/${rollbackId}`)).body;
}

function until(rollbackId: string, what: string, test: (d: Detail) => boolean, timeoutMs: number): Promise<Detail> {
  return untilRollback(world, rollbackId, what, test, timeoutMs, agent);
}

async function killAgent(): Promise<void> {
  agent?.kill("SIGKILL");
  await agent?.exited;
  agent = undefined;
}

it("a rollback whose agent dies during stage is lost once that step's own timeout and the watch window passed, hours before the settings' deadline", async () => {
  const config = parseAgentConfig(JSON.parse(await readFile(scenario.configFile, "utf8")), scenario.configFile, path.dirname(scenario.configFile));
  const bound = stepBound("stage", "running", { config, containers: 0 });
  const allowedS = bound.stepSeconds + bound.watchSeconds;
  // The settings' deadline would be 4 h 30 min: the agent's own bounds make it minutes.
  expect(allowedS).toBeLessThan(180);

  const rollbackId = await requestRollback(world, operator.token, scenario.config.host, "v2 broke checkout");
  firstRollback = rollbackId;
  await whenStepRuns(scenario.config.stateDir, "stage");
  await until(rollbackId, "seen in stage", (d) => d.steps.some((s) => s.step === "stage" && s.state === "running"), 30_000);
  await killAgent();
  const killedAt = Date.now();

  const lost = await until(rollbackId, "lost", (d) => d.state === "lost", (allowedS + 60) * 1000);
  const waitedS = (Date.now() - killedAt) / 1000;
  expect(waitedS).toBeLessThan(allowedS + 30);
  expect(lost.outcome).toMatchObject({
    code: "LOST",
    message: expect.stringContaining(`(${allowedS} s: step stage's own timeout plus the watch window, as the agent reported them)`),
  });
  expectLostAudited(await auditLines(world), rollbackId);
}, 420_000);

it("the cron finds a running rollback past its deadline whose host's alarm is not due (settings lowered since)", async () => {
  // The agent comes back and ends the first rollback, so the host takes another.
  if (firstRollback === undefined) throw new Error("the first test did not request its rollback");
  agent = spawnAgent(scenario.configFile);
  await until(firstRollback, "ended", (d) => ["succeeded", "failed", "undone"].includes(d.state), 240_000);

  const rollbackId = await requestRollback(world, operator.token, scenario.config.host, "still broken");
  // Killed once a step reported (with its bound): the object's alarm is set minutes ahead.
  await until(rollbackId, "running a step", (d) => d.state === "running" && d.steps.length > 0, 60_000);
  await killAgent();
  // The operator lowers the settings meanwhile: the deadline is now seconds away, the alarm is not.
  await world.restart({ ROLLBACK_STEP_TIMEOUT_SECONDS: "2", ROLLBACK_WATCH_SECONDS: "1" });
  await new Promise((resolve) => setTimeout(resolve, 4_000));
  expect((await detail(rollbackId)).state).toBe("running");

  await world.scheduled();
  const lost = await detail(rollbackId);
  expect(lost.state).toBe("lost");
  expect(lost.outcome?.message).toContain("capped by the control plane's settings");
  expectLostAudited(await auditLines(world), rollbackId);
}, 420_000);

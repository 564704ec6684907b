// Cancelling a rollback that already runs on the host, before it stops services: the control plane
// sends a signed `cancel` command, the agent aborts the engine mid-way (a larger database keeps the
// staging step busy long enough), the staged copies are discarded, and the host stays as it was.
import type Docker from "dockerode";
import { afterAll, beforeAll, expect, it } from "vitest";
import type { AgentProcess } from "../world/agent.ts";
import { type ControlPlaneWorld, startControlPlane } from "../world/control-plane.ts";
import { requireDocker } from "../world/docker.ts";
import { type PgCluster, startPostgres } from "../world/postgres.ts";
import { databaseNames, gitHeadOf, prepareScenario, type Scenario, snapshotFiles } from "./rollback-fixture.ts";
import { apiJson, enrolledAgent, hostReady, mintToken, rewindCli, stopScenarioWorld, untilRollback } from "./rollbacks-helpers.ts";
import { volumeDir } from "../../infra/demo-stack/stack.ts";

let docker: Docker;
let cluster: PgCluster;
let scenario: Scenario;
let world: ControlPlaneWorld;
let agent: AgentProcess | undefined;

beforeAll(async () => {
  docker = await requireDocker();
  [cluster, world] = await Promise.all([startPostgres(), startControlPlane()]);
  scenario = await prepareScenario(docker, cluster, { extraDataMB: 60 });
  agent = await enrolledAgent(world, scenario, "online");
});

afterAll(async () => {
  await stopScenarioWorld({ agent, world, scenario, cluster });
});

it("cancels a running rollback before services stop, leaving the host as it was", async () => {
  const host = scenario.config.host;
  const operator = await mintToken(world, "operator", "olga");
  await hostReady(world, host, "backup");
  const requested = await rewindCli(world, operator.token, ["rollback", host, "--reason", "wrong host, stop", "--yes", "--json"]);
  expect(requested.code).toBe(0);
  const { rollbackId } = JSON.parse(requested.stdout) as { rollbackId: string };
  await untilRollback(world, rollbackId, "started by the agent", (d) => d.state === "running", 60_000, agent);

  const cancel = await rewindCli(world, operator.token, ["cancel", rollbackId, "--json"]);
  expect(cancel.code).toBe(0);
  expect(JSON.parse(cancel.stdout)).toMatchObject({ rollbackId, state: "running", cancelRequested: true });

  const followed = await rewindCli(world, operator.token, ["status", rollbackId, "--follow"]);
  expect(followed.code).toBe(1);
  expect(followed.stdout.trimEnd().endsWith("final state: cancelled")).toBe(true);
  const { body } = await apiJson<{ state: string; steps: { step: string; state: string }[] }>(world, `/v1/rollbacks/${rollbackId}`);
  expect(body.state).toBe("cancelled");
  const reached = new Map(body.steps.map((s) => [s.step, s.state]));
  expect(reached.get("swap")).toBeUndefined();
  expect(["failed", undefined]).toContain(reached.get("stop-services"));

  // Nothing changed on the host: v2's commit and MinIO data, no staged database left behind.
  expect(await gitHeadOf(scenario.config.project.dir)).toBe(scenario.v2Commit);
  expect(await snapshotFiles(await volumeDir(docker, scenario.stack.minioVolume))).toEqual(scenario.v2.files);
  expect((await databaseNames(cluster)).filter((name) => name.startsWith(scenario.database))).toEqual([scenario.database]);
});

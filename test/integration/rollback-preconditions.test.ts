// Issue 14.4: a rollback command carries the host state it was decided on (the commit and images the
// agent last reported). Queued for an offline host, it must not run once someone changed the host
// meanwhile (fixed forward by hand): the agent refuses it with PRECONDITION_FAILED, reported and
// audited, and nothing changes. A rollback requested after the agent reported the new state runs.
// Control plane in workerd, the real agent process, Docker, PostgreSQL, git.
import { execFile } from "node:child_process";
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";
import type Docker from "dockerode";
import { afterAll, beforeAll, expect, it } from "vitest";
import { type AgentProcess, spawnAgent } from "../world/agent.ts";
import { type ControlPlaneWorld, startControlPlane } from "../world/control-plane.ts";
import { requireDocker } from "../world/docker.ts";
import { type PgCluster, startPostgres } from "../world/postgres.ts";
import { gitHeadOf, prepareScenario, type Scenario, snapshotDatabase } from "./rollback-fixture.ts";
import { auditLines, enrollWithCli, hostReady, mintToken, requestRollback, stopScenarioWorld, untilRollback, waitUntil } from "./rollbacks-helpers.ts";

const run = promisify(execFile);

interface Detail {
  state: string;
  commandId: string | null;
  outcome?: { code?: string; message?: string };
}

let docker: Docker;
let cluster: PgCluster;
let scenario: Scenario;
let world: ControlPlaneWorld;
let agent: AgentProcess | undefined;
let operator: { id: string; token: string };

const stateReports = async (): Promise<number> => (await auditLines(world)).filter((e) => e.action === "agent.report" && e.details.kind === "state").length;

async function startAgent(): Promise<void> {
  agent = spawnAgent(scenario.configFile);
  await hostReady(world, scenario.config.host, "online", agent);
}

function request(reason: string): Promise<string> {
  return requestRollback(world, operator.token, scenario.config.host, reason);
}

function finished(rollbackId: string): Promise<Detail> {
  return untilRollback<Detail>(world, rollbackId, "to finish", (d) => ["succeeded", "failed", "undone", "expired"].includes(d.state), 180_000, agent);
}

beforeAll(async () => {
  docker = await requireDocker();
  [cluster, world] = await Promise.all([startPostgres(), startControlPlane()]);
  scenario = await prepareScenario(docker, cluster);
  operator = await mintToken(world, "operator", "olga");
  await enrollWithCli(world, scenario.config.host, scenario.configFile);
  await startAgent();
  await hostReady(world, scenario.config.host, "backup");
  await waitUntil(async () => ((await stateReports()) > 0 ? true : undefined), "the host state reported");
}, 300_000);

afterAll(async () => {
  await stopScenarioWorld({ agent, world, scenario, cluster });
});

it("refuses a queued rollback with PRECONDITION_FAILED when the host changed while its agent was away", async () => {
  await agent?.stop();
  agent = undefined;
  await hostReady(world, scenario.config.host, "offline");
  const rollbackId = await request("v2 is failing");
  const queued = (await auditLines(world)).find(
    (e) => e.action === "command.queued" && (e.details.action as { rollbackId?: string }).rollbackId === rollbackId,
  );
  expect(queued?.details.pre).toMatchObject({ commit: scenario.v2Commit });

  // Meanwhile someone fixes forward on the host.
  const dir = scenario.config.project.dir;
  await writeFile(path.join(dir, "HOTFIX"), "fixed by hand\n");
  await run("git", ["-C", dir, "add", "HOTFIX"]);
  await run("git", ["-C", dir, "-c", "user.name=ops", "-c", "user.email=ops@example.com", "commit", "-q", "-m", "hotfix"]);
  const hotfix = await gitHeadOf(dir);
  await startAgent();

  const detail = await finished(rollbackId);

  expect(detail.state).toBe("failed");
  expect(detail.outcome?.code).toBe("PRECONDITION_FAILED");
  expect(detail.outcome?.message).toContain(`commit is ${hotfix}, command expected ${scenario.v2Commit}`);
  const entries = await auditLines(world);
  expect(entries.some((e) => e.action === "agent.report" && e.subject === `command:${detail.commandId}` && e.details.kind === "rejected")).toBe(true);
  expect(
    entries.some(
      (e) =>
        e.action === "rollback.state-changed" &&
        e.subject === `rollback:${rollbackId}` &&
        (e.details.outcome as { code?: string } | undefined)?.code === "PRECONDITION_FAILED",
    ),
  ).toBe(true);
  expect(await gitHeadOf(dir)).toBe(hotfix);
  expect(await snapshotDatabase(scenario.databaseUrl)).toEqual(scenario.v2.tables);
});

it("runs a rollback requested once the agent reported the host's new state", async () => {
  const hotfix = await gitHeadOf(scenario.config.project.dir);
  await waitUntil(async () => {
    const states = (await auditLines(world)).filter((e) => e.action === "agent.report" && e.details.kind === "state");
    return states.length >= 2 ? true : undefined;
  }, "the new state reported");
  const rollbackId = await request("the hotfix did not help");
  const queued = (await auditLines(world)).find(
    (e) => e.action === "command.queued" && (e.details.action as { rollbackId?: string }).rollbackId === rollbackId,
  );
  expect(queued?.details.pre).toMatchObject({ commit: hotfix });

  const detail = await finished(rollbackId);

  expect(detail.state).toBe("succeeded");
  expect(await gitHeadOf(scenario.config.project.dir)).toBe(scenario.v1Commit);
  expect(await snapshotDatabase(scenario.databaseUrl)).toEqual(scenario.v1.tables);
});

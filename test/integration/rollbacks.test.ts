// Operator rollbacks through the API and the `rewind` CLI, end to end: the control plane in workerd,
// the demo stack in Docker on v2 with a real v1 backup, PostgreSQL, git, and the enrolled agent
// process. Covers the confirm check, no backup yet, approvals by a second operator, a live CLI
// follow to success, 409 for a second request, cancel while queued and refused after services stop.
import type Docker from "dockerode";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { listProjectContainers } from "../../agent/src/host/compose.ts";
import { type AgentProcess, spawnAgent } from "../world/agent.ts";
import { type ControlPlaneWorld, startControlPlane } from "../world/control-plane.ts";
import { requireDocker } from "../world/docker.ts";
import { type PgCluster, startPostgres } from "../world/postgres.ts";
import { gitHeadOf, prepareScenario, type Scenario, snapshotDatabase } from "./rollback-fixture.ts";
import { apiJson, enrollWithCli, hostReady, mintToken, rewindCli, stopScenarioWorld, waitUntil } from "./rollbacks-helpers.ts";

interface ErrorBody {
  error: { code: string; message: string; details?: Record<string, unknown> };
}
interface Detail {
  rollbackId: string;
  state: string;
  backupId: string;
  requestedBy: string;
  commandId: string | null;
  approvals: { tokenId: string }[];
  steps: { step: string; state: string; durationMs?: number }[];
  downtimeMs?: number;
}

let docker: Docker;
let cluster: PgCluster;
let scenario: Scenario;
let world: ControlPlaneWorld;
let agent: AgentProcess | undefined;
let alice: { id: string; token: string };
let bob: { id: string; token: string };
let viewer: { id: string; token: string };
let host: string;
/** The command of the rollback cancelled while queued: the agent must never see it. */
let withdrawnCommand: string | null = null;

const forwardSteps = ["preflight", "load-backup", "document-state", "stage", "stop-services", "swap", "revert-code", "start", "verify"];

async function detail(id: string): Promise<Detail> {
  const { status, body } = await apiJson<Detail>(world, `/v1/rollbacks/${id}`, { token: viewer.token });
  expect(status).toBe(200);
  return body;
}

async function startAgentAndWait(): Promise<void> {
  agent = spawnAgent(scenario.configFile);
  await hostReady(world, host, "online", agent);
}

async function stopAgentAndWait(): Promise<void> {
  await agent?.stop();
  agent = undefined;
  await hostReady(world, host, "offline");
}

beforeAll(async () => {
  docker = await requireDocker();
  [cluster, world] = await Promise.all([startPostgres(), startControlPlane()]);
  scenario = await prepareScenario(docker, cluster);
  host = scenario.config.host;
  [alice, bob, viewer] = await Promise.all([mintToken(world, "operator", "alice"), mintToken(world, "operator", "bob"), mintToken(world, "viewer", "victor")]);
  await enrollWithCli(world, host, scenario.configFile);
});

afterAll(async () => {
  await stopScenarioWorld({ agent, world, scenario, cluster });
});

describe("operator rollbacks", () => {
  it("refuses a request whose confirm is not the host name, and a raw rollback command", async () => {
    const { status, body } = await apiJson<ErrorBody>(world, "/v1/rollbacks", {
      method: "POST",
      token: alice.token,
      body: JSON.stringify({ host, reason: "v2 failing", confirm: "yes" }),
    });
    expect(status).toBe(400);
    expect(body.error.code).toBe("BAD_REQUEST");
    expect(body.error.details?.field).toBe("confirm");
    expect(body.error.message).toContain(host);
    const raw = await apiJson<ErrorBody>(world, `/v1/hosts/${host}/commands`, {
      method: "POST",
      token: alice.token,
      body: JSON.stringify({ action: { type: "rollback", rollbackId: "rb-raw-0001", reason: "sneaky" } }),
    });
    expect(raw.status).toBe(400);
    expect(raw.body.error.message).toBe("rollbacks are requested with POST /v1/rollbacks, not as a raw command");
    expect((await apiJson(world, "/v1/me", { token: alice.token })).body).toEqual({ tokenId: alice.id, role: "operator" });
    const unknown = await rewindCli(world, viewer.token, ["status", "rb-unknown-01"]);
    expect(unknown).toMatchObject({ code: 4, stderr: "rewind: NOT_FOUND: no rollback rb-unknown-01\n" });
    const cancelUnknown = await apiJson<ErrorBody>(world, "/v1/rollbacks/rb-unknown-01/cancel", { method: "POST", token: alice.token });
    expect(cancelUnknown.status).toBe(404);
  });

  it("says so when the host has no verified backup yet, and a viewer may not request at all", async () => {
    const none = await rewindCli(world, alice.token, ["rollback", host, "--reason", "v2 failing", "--yes"]);
    expect(none.code).toBe(4);
    expect(none.stderr).toContain("NOT_FOUND: host rollback-test has no verified backup yet");
    const asViewer = await rewindCli(world, viewer.token, ["rollback", host, "--reason", "v2 failing", "--yes"]);
    expect(asViewer.code).toBe(1);
    expect(asViewer.stderr).toMatch(/^rewind: FORBIDDEN: /);
  });

  it("learns the host's backups when its agent connects", async () => {
    await startAgentAndWait();
    const listed = await waitUntil(async () => {
      const run = await rewindCli(world, viewer.token, ["backups", host, "--json"]);
      const { backups } = JSON.parse(run.stdout) as { backups: { backupId: string; verified: boolean }[] };
      return backups.length > 0 ? backups : undefined;
    }, "the scenario's backup to be listed");
    expect(listed).toEqual([expect.objectContaining({ backupId: scenario.manifest.backupId, verified: true })]);
    const hosts = await rewindCli(world, viewer.token, ["hosts"]);
    expect(hosts.code).toBe(0);
    expect(hosts.stdout).toMatch(
      new RegExp(`${host}\\s+online\\s+(just now|\\d+ (s|min) ago)\\s+${scenario.manifest.backupId} \\((just now|\\d+ (s|min|h) ago)\\)`),
    );
  });

  it("cancels a rollback still queued for an offline host, and the command is never sent", async () => {
    await stopAgentAndWait();
    const requested = await rewindCli(world, alice.token, ["rollback", host, "--reason", "try while offline", "--yes", "--json"]);
    expect(requested.code).toBe(0);
    const { rollbackId, state } = JSON.parse(requested.stdout) as { rollbackId: string; state: string };
    expect(state).toBe("queued");
    const commandId = (await detail(rollbackId)).commandId;
    expect(commandId).toEqual(expect.any(String));
    withdrawnCommand = commandId;

    const cancelled = await rewindCli(world, alice.token, ["cancel", rollbackId]);
    expect(cancelled).toMatchObject({ code: 0, stdout: `rollback ${rollbackId} cancelled\n` });
    expect((await detail(rollbackId)).state).toBe("cancelled");
    const command = await apiJson<{ state: string }>(world, `/v1/commands/${commandId}`);
    expect(command.body.state).toBe("cancelled");
    const again = await rewindCli(world, alice.token, ["cancel", rollbackId]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain(`CONFLICT: rollback ${rollbackId} is already cancelled`);
  });

  it("expires a request nobody approved within the host's approval window", async () => {
    const settings = await apiJson(world, `/v1/hosts/${host}/settings`, {
      method: "PUT",
      body: JSON.stringify({ requireApproval: true, approvalWindowSeconds: 1 }),
    });
    expect(settings.body).toEqual({ host, requireApproval: true, approvalsRequired: 1, approvalWindowSeconds: 1 });
    const requested = await rewindCli(world, alice.token, ["rollback", host, "--reason", "nobody around", "--yes", "--json"]);
    const { rollbackId, state } = JSON.parse(requested.stdout) as { rollbackId: string; state: string };
    expect(state).toBe("pending-approval");
    await waitUntil(async () => ((await detail(rollbackId)).state === "expired" ? true : undefined), "the request to expire", 30_000);
    const late = await rewindCli(world, bob.token, ["approve", rollbackId]);
    expect(late.code).toBe(1);
    expect(late.stderr).toContain(`CONFLICT: rollback ${rollbackId} is expired, not waiting for approval`);
  });

  it("waits for a second operator's approval, refusing the requester's own", async () => {
    const settings = await apiJson(world, `/v1/hosts/${host}/settings`, { method: "PUT", body: JSON.stringify({ requireApproval: true }) });
    expect(settings.status).toBe(200);
    await startAgentAndWait();

    const requested = await rewindCli(world, alice.token, ["rollback", host, "--reason", "v2 health checks failing", "--yes", "--json"]);
    expect(requested.code).toBe(0);
    const { rollbackId, state } = JSON.parse(requested.stdout) as { rollbackId: string; state: string };
    expect(state).toBe("pending-approval");

    const second = await apiJson<ErrorBody>(world, "/v1/rollbacks", {
      method: "POST",
      token: bob.token,
      body: JSON.stringify({ host, reason: "me too", confirm: host }),
    });
    expect(second.status).toBe(409);
    expect(second.body.error.details?.rollbackId).toBe(rollbackId);

    const own = await rewindCli(world, alice.token, ["approve", rollbackId]);
    expect(own.code).toBe(1);
    expect(own.stderr).toContain("FORBIDDEN: the requester cannot approve their own rollback");
    const byViewer = await apiJson<ErrorBody>(world, `/v1/rollbacks/${rollbackId}/approve`, { method: "POST", token: viewer.token });
    expect(byViewer.status).toBe(403);
    expect((await detail(rollbackId)).state).toBe("pending-approval");

    const approved = await rewindCli(world, bob.token, ["approve", rollbackId, "--json"]);
    expect(approved.code).toBe(0);
    expect(JSON.parse(approved.stdout)).toMatchObject({ rollbackId, state: "queued", approvals: 1, approvalsRequired: 1 });
    const after = await detail(rollbackId);
    expect(after.approvals.map((a) => a.tokenId)).toEqual([bob.id]);
    expect(after.requestedBy).toBe(alice.id);

    // While it runs: a second request is refused with the running one's id, and once services are
    // stopped a cancel is refused with the reason.
    const conflict = await rewindCli(world, bob.token, ["rollback", host, "--reason", "again", "--yes"]);
    expect(conflict.code).toBe(1);
    expect(conflict.stderr).toContain(`CONFLICT: host ${host} already has rollback ${rollbackId}`);
    await waitUntil(
      async () => ((await detail(rollbackId)).steps.some((s) => s.step === "stop-services") ? true : undefined),
      "services to stop",
      120_000,
      agent,
    );
    const late = await apiJson<ErrorBody>(world, `/v1/rollbacks/${rollbackId}/cancel`, { method: "POST", token: alice.token });
    expect(late.status).toBe(409);
    expect(late.body.error.message).toBe("services are already stopped; the rollback will finish or undo itself");

    const followed = await rewindCli(world, viewer.token, ["status", rollbackId, "--follow"]);
    expect(followed.stderr).toBe("");
    expect(followed.code).toBe(0);
    for (const step of forwardSteps) expect(followed.stdout).toMatch(new RegExp(`✓ ${step}\\s+succeeded`));
    expect(followed.stdout).toMatch(/downtime: \d/);
    expect(followed.stdout.trimEnd().endsWith("final state: succeeded")).toBe(true);

    const done = await detail(rollbackId);
    expect(done).toMatchObject({ state: "succeeded", backupId: scenario.manifest.backupId });
    expect(done.steps.map((s) => [s.step, s.state])).toEqual(forwardSteps.map((s) => [s, "succeeded"]));
    expect(done.downtimeMs).toEqual(expect.any(Number));

    // What the rollback was for: v1 healthy, with v1's data and commit.
    const containers = await listProjectContainers(docker, scenario.config.project.name);
    expect(containers.every((container) => container.health === "healthy")).toBe(true);
    expect(await snapshotDatabase(scenario.databaseUrl)).toEqual(scenario.v1.tables);
    expect(await gitHeadOf(scenario.config.project.dir)).toBe(scenario.v1Commit);

    // The agent has been connected through all of this and was never sent the withdrawn command.
    expect(agent?.entries().some((entry) => entry.msg === "command accepted")).toBe(true);
    expect(agent?.entries().some((entry) => entry.commandId === withdrawnCommand)).toBe(false);

    const listed = await rewindCli(world, viewer.token, ["status", rollbackId, "--json"]);
    expect(JSON.parse(listed.stdout)).toMatchObject({ rollbackId, state: "succeeded" });
    const { body } = await apiJson<{ rollbacks: { rollbackId: string; state: string }[] }>(world, `/v1/rollbacks?host=${host}&state=succeeded`, {
      token: viewer.token,
    });
    expect(body.rollbacks.map((r) => r.rollbackId)).toEqual([rollbackId]);
  });

  it("records every request and transition in the audit log", async () => {
    const response = await world.api("/v1/audit?limit=10000");
    expect(response.status).toBe(200);
    const entries = (await response.text())
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line) as { action: string; details: Record<string, unknown> });
    const actions = new Set(entries.map((entry) => entry.action));
    for (const action of [
      "rollback.requested",
      "rollback.queued",
      "rollback.state-changed",
      "rollback.approval-refused",
      "rollback.approved",
      "rollback.cancel-refused",
      "command.withdrawn",
      "backup.manifest-stored",
      "host.settings-changed",
    ]) {
      expect(actions, action).toContain(action);
    }
    const transitions = entries.filter((entry) => entry.action === "rollback.state-changed").map((entry) => `${entry.details.from}→${entry.details.to}`);
    expect(transitions).toEqual(["queued→cancelled", "pending-approval→expired", "pending-approval→queued", "queued→running", "running→succeeded"]);
  });
});

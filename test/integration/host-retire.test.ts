// Retiring a host (DELETE /v1/hosts/:host, `rewind hosts rm`): there used to be no way to stop a
// decommissioned or compromised host's key from connecting. Now its socket is closed and its key
// refused at once, what it had waiting (a rollback request, a command) is cancelled, it leaves the
// host list, alerts and requests for it are refused, enrollments minted before do not bring it back,
// and only a new enrollment enrolls the name again. The control plane in workerd, the real CLI, and
// hand-driven agents with their own keys.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateSigningKey } from "../../shared/signing.ts";
import { type ControlPlaneWorld, startControlPlane } from "../world/control-plane.ts";
import { connectSocket, enrolledHandAgent, type HandAgent, handManifest, sendReport } from "./hand-agent.ts";
import { apiJson, auditLines, mintToken, requestRollback, rewindCli, waitUntil } from "./rollbacks-helpers.ts";

interface ErrorBody {
  error: { code: string; message: string };
}

let world: ControlPlaneWorld;
const agents: HandAgent[] = [];

beforeAll(async () => {
  world = await startControlPlane();
});

afterAll(async () => {
  for (const agent of agents) agent.ws.close();
  await world?.stop();
});

async function hostWithBackup(host: string, requireApproval: boolean): Promise<HandAgent> {
  const agent = await enrolledHandAgent(world, host);
  agents.push(agent);
  await sendReport(agent, { kind: "manifest", manifest: handManifest(host) });
  const settings = await apiJson(world, `/v1/hosts/${host}/settings`, { method: "PUT", body: JSON.stringify({ requireApproval }) });
  expect(settings.status).toBe(200);
  return agent;
}

async function listedHosts(): Promise<{ name: string; fingerprint: string }[]> {
  return (await apiJson<{ hosts: { name: string; fingerprint: string }[] }>(world, "/v1/hosts")).body.hosts;
}

function enroll(token: string, host: string, key: Awaited<ReturnType<typeof generateSigningKey>>): Promise<Response> {
  return fetch(`${world.url}/v1/agents/enroll`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ token, host, publicJwk: key.publicJwk, agentVersion: "0.1.0-test" }),
  });
}

describe("retiring a host", () => {
  it("stops its key at once, cancels what it had waiting, and only a new enrollment brings the name back", async () => {
    const host = "retire-web-1";
    const agent = await hostWithBackup(host, true);
    const [alice, bob, viewer, alertSource, enroller] = await Promise.all([
      mintToken(world, "operator", "alice"),
      mintToken(world, "operator", "bob"),
      mintToken(world, "viewer", "victor"),
      mintToken(world, "alert-source", "alertmanager"),
      mintToken(world, "enroll", "provisioning"),
    ]);
    const rollbackId = await requestRollback(world, alice.token, host, "waiting for bob");
    const queued = await apiJson<{ commandId: string }>(world, `/v1/hosts/${host}/commands`, {
      method: "POST",
      token: alice.token,
      body: JSON.stringify({ action: { type: "verify" } }),
    });
    expect(queued.status).toBe(202);
    // Minted before the retirement (an admin's re-enrollment): must not enroll the name afterwards.
    const stale = await apiJson<{ token: string }>(world, "/v1/enrollments", { method: "POST", body: JSON.stringify({ host }) });
    expect(stale.status).toBe(201);
    for (const who of [alice, viewer]) {
      const refused = await apiJson<ErrorBody>(world, `/v1/hosts/${host}`, { method: "DELETE", token: who.token });
      expect(refused.status).toBe(403);
    }

    const retired = await rewindCli(world, world.adminToken, ["hosts", "rm", host, "--yes", "--json"]);

    expect(retired.code).toBe(0);
    expect(JSON.parse(retired.stdout)).toMatchObject({
      host,
      retired: true,
      cancelledRollbacks: [rollbackId],
      cancelledCommands: [queued.body.commandId],
      voidedEnrollments: [expect.any(String)],
    });
    await waitUntil(async () => agent.closedWith(), "the retired host's socket to be closed");
    expect(agent.closedWith()).toBe(4003);
    await expect(connectSocket(world, host, agent.key)).rejects.toThrow("upgrade refused: 401");
    expect((await listedHosts()).map((h) => h.name)).not.toContain(host);
    const rollback = await apiJson<{ state: string; outcome?: { code: string } }>(world, `/v1/rollbacks/${rollbackId}`);
    expect(rollback.body).toMatchObject({ state: "cancelled", outcome: { code: "HOST_RETIRED" } });
    const approval = await apiJson<ErrorBody>(world, `/v1/rollbacks/${rollbackId}/approve`, { method: "POST", token: bob.token });
    expect(approval.status).toBe(409);
    expect(approval.body.error.message).toContain(`host ${host} was retired`);
    expect((await apiJson<{ state: string }>(world, `/v1/commands/${queued.body.commandId}`)).body.state).toBe("cancelled");
    const request = await apiJson<ErrorBody>(world, "/v1/rollbacks", {
      method: "POST",
      token: bob.token,
      body: JSON.stringify({ host, reason: "after retirement", confirm: host }),
    });
    expect(request.status).toBe(404);
    const alert = await apiJson<{ decisions: { decision: string; reason: string; rollbackId?: string }[] }>(world, "/v1/alerts", {
      method: "POST",
      token: alertSource.token,
      body: JSON.stringify({ host, alert: "PostDeployVerificationFailed", status: "firing", environment: "production", severity: "critical" }),
    });
    expect(alert.status).toBe(200);
    expect(alert.body.decisions[0]).toMatchObject({ decision: "none" });
    expect(alert.body.decisions[0]?.reason).toContain(`the rollback could not be requested: host ${host} is not enrolled`);
    expect(alert.body.decisions[0]?.rollbackId).toBeUndefined();
    const audit = (await auditLines(world)).filter((e) => e.action === "host.retired" && e.subject === `host:${host}`);
    expect(audit).toHaveLength(1);
    expect(audit[0]?.actor).toMatchObject({ kind: "token", role: "admin" });
    expect(audit[0]?.details).toMatchObject({ cancelledRollbacks: [rollbackId], cancelledCommands: [queued.body.commandId] });

    const newKey = await generateSigningKey();
    const withStale = await enroll(stale.body.token, host, newKey);
    expect(withStale.status).toBe(403);
    const fresh = await apiJson<{ token: string }>(world, "/v1/enrollments", { method: "POST", token: enroller.token, body: JSON.stringify({ host }) });
    expect(fresh.status).toBe(201);
    expect((await enroll(fresh.body.token, host, newKey)).status).toBe(200);
    const back = await connectSocket(world, host, newKey);
    back.close();
    await expect(connectSocket(world, host, agent.key)).rejects.toThrow("upgrade refused: 401");
    expect((await listedHosts()).map((h) => h.name)).toContain(host);
  });

  it("is refused while one of its rollbacks is queued, changing nothing, and goes once it ended", async () => {
    const host = "retire-web-2";
    const agent = await hostWithBackup(host, false);
    const operator = await mintToken(world, "operator", "carol");
    const rollbackId = await requestRollback(world, operator.token, host, "in the way");

    const refused = await apiJson<ErrorBody>(world, `/v1/hosts/${host}`, { method: "DELETE" });

    expect(refused.status).toBe(409);
    expect(refused.body.error.message).toBe(
      `rollback ${rollbackId} is queued: let it finish, cancel it (rewind cancel), or abandon it if its agent is gone (rewind abandon), then retire the host`,
    );
    expect((await listedHosts()).map((h) => h.name)).toContain(host);
    expect(agent.closedWith()).toBeUndefined();
    // Already delivered: the cancel goes to the agent, which stops the rollback before it started.
    expect((await apiJson(world, `/v1/rollbacks/${rollbackId}/cancel`, { method: "POST", token: operator.token })).status).toBe(202);
    const { commandId } = (await apiJson<{ commandId: string }>(world, `/v1/rollbacks/${rollbackId}`)).body;
    await sendReport(agent, { kind: "result", commandId, ok: false, code: "CANCELLED", message: "cancelled before it started" });
    expect((await apiJson<{ state: string }>(world, `/v1/rollbacks/${rollbackId}`)).body.state).toBe("cancelled");
    expect((await apiJson(world, `/v1/hosts/${host}`, { method: "DELETE" })).status).toBe(200);
    await waitUntil(async () => agent.closedWith(), "the retired host's socket to be closed");
  });

  it("answers 404 for a host that is not enrolled, and the CLI asks for the host name without --yes", async () => {
    const missing = await rewindCli(world, world.adminToken, ["hosts", "rm", "no-such-host", "--yes"]);
    expect(missing).toMatchObject({ code: 4, stderr: "rewind: NOT_FOUND: host no-such-host is not enrolled\n" });
    const unconfirmed = await rewindCli(world, world.adminToken, ["hosts", "rm", "no-such-host"]);
    expect(unconfirmed.code).toBe(2);
    expect(unconfirmed.stderr).toContain("pass --yes");
  });
});

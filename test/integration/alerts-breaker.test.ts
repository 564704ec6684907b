// The fleet breaker under a fleet-wide storm: eight enrolled hosts (each a signed WebSocket peer
// that announced one backup manifest, as an agent does on connect) alert at the same moment, every
// alert delivered concurrently and more than once. Only as many hosts as the breaker allows get a
// rollback; the rest are recorded as FLEET_BREAKER, however the deliveries interleave.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WebSocket } from "ws";
import type { BackupManifest } from "../../shared/schemas/manifest.ts";
import { generateSigningKey, type KeyPairJwk, signConnectToken, signReport } from "../../shared/signing.ts";
import { type ControlPlaneWorld, startControlPlane } from "../world/control-plane.ts";

const hostCount = 8;
const breakerHosts = 3;
let controlPlane: ControlPlaneWorld;
const sockets: WebSocket[] = [];

async function json(apiPath: string, init?: RequestInit): Promise<Record<string, unknown>> {
  const response = await controlPlane.api(apiPath, init);
  const body = (await response.json()) as Record<string, unknown>;
  if (!response.ok) throw new Error(`${apiPath} answered ${response.status}: ${JSON.stringify(body)}`);
  return body;
}

function manifest(host: string): BackupManifest {
  return {
    version: 1,
    backupId: `pre-deployment-${host}`,
    host,
    composeProject: host,
    timestamp: "20261125_100000",
    createdAt: "2026-11-25T10:00:00.000Z",
    git: { commit: "0123456789abcdef0123456789abcdef01234567", branch: "main" },
    services: [],
    agentVersion: "test",
  };
}

/** Enrolls `host` with a fresh key, connects as its agent and announces one backup. */
async function connectHost(host: string): Promise<void> {
  const key: KeyPairJwk = await generateSigningKey(host);
  const { token } = (await json("/v1/enrollments", { method: "POST", body: JSON.stringify({ host }) })) as { token: string };
  const enrolled = await fetch(`${controlPlane.url}/v1/agents/enroll`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ token, host, publicJwk: key.publicJwk, agentVersion: "test" }),
  });
  if (!enrolled.ok) throw new Error(`enrolling ${host}: ${enrolled.status} ${await enrolled.text()}`);
  const ws = new WebSocket(`${controlPlane.url.replace(/^http/, "ws")}/v1/agents/connect`, {
    headers: { authorization: `Bearer ${await signConnectToken(host, "test", key.privateJwk)}` },
  });
  sockets.push(ws);
  await new Promise<void>((resolve, reject) => {
    ws.once("open", () => resolve());
    ws.once("error", reject);
  });
  ws.send(JSON.stringify({ t: "report", jws: await signReport({ kind: "manifest", manifest: manifest(host) }, host, key.privateJwk) }));
  for (let attempt = 0; ; attempt++) {
    const { backups } = await json(`/v1/hosts/${host}/backups`);
    if (Array.isArray(backups) && backups.length > 0) return;
    if (attempt > 100) throw new Error(`${host}'s manifest was not indexed`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

beforeAll(async () => {
  controlPlane = await startControlPlane({ env: { ALERT_POLICY: JSON.stringify({ breakerHosts, breakerWindowMinutes: 10 }) } });
  await Promise.all(Array.from({ length: hostCount }, (_, index) => connectHost(`fleet-${index + 1}`)));
});

afterAll(async () => {
  for (const ws of sockets) ws.close();
  await controlPlane?.stop();
});

describe("fleet breaker", () => {
  it("lets only as many hosts roll back as the breaker allows when the whole fleet alerts at once", async () => {
    const { token: alertToken } = (await json("/v1/tokens", { method: "POST", body: JSON.stringify({ role: "alert-source", label: "breaker test" }) })) as {
      token: string;
    };
    const deliveries = Array.from({ length: hostCount * 4 }, (_, index) => {
      const host = `fleet-${(index % hostCount) + 1}`;
      return controlPlane.api("/v1/alerts", {
        method: "POST",
        headers: { authorization: `Bearer ${alertToken}` },
        body: JSON.stringify({
          host,
          alert: "DeploymentFailed",
          status: "firing",
          environment: "production",
          startsAt: "2026-11-25T12:00:00Z",
          fingerprint: `deploy-${host}`,
        }),
      });
    });
    const responses = await Promise.all(deliveries);
    expect(responses.map((r) => r.status).every((status) => status === 200)).toBe(true);

    const { rollbacks } = (await json("/v1/rollbacks")) as { rollbacks: Array<{ host: string; automatic: boolean }> };
    expect(rollbacks).toHaveLength(breakerHosts);
    expect(new Set(rollbacks.map((r) => r.host)).size).toBe(breakerHosts);

    const { decisions } = (await json("/v1/alerts?limit=100")) as {
      decisions: Array<{ host: string; code: string; deliveries: number; rollbackId: string | null }>;
    };
    expect(decisions).toHaveLength(hostCount);
    expect(decisions.filter((d) => d.code === "DEPLOY_FAILED" && d.rollbackId !== null)).toHaveLength(breakerHosts);
    const held = decisions.filter((d) => d.code === "FLEET_BREAKER");
    expect(held).toHaveLength(hostCount - breakerHosts);
    expect(held.every((d) => d.rollbackId === null)).toBe(true);
    expect(decisions.reduce((sum, d) => sum + d.deliveries, 0)).toBe(hostCount * 4);
  });
});

// POST /v1/agents/rollback-requests, the door `rewind deploy` uses: a request signed by the host's
// enrolled key, carrying the manifest of the backup it just took, starts a rollback as the host;
// a replayed, forged, mismatched or offline-host request starts nothing and says why.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WebSocket } from "ws";
import type { HostRollbackRequest } from "../../shared/schemas/host-request.ts";
import { generateSigningKey, type KeyPairJwk, signConnectToken, signHostRequest } from "../../shared/signing.ts";
import { type ControlPlaneWorld, startControlPlane } from "../world/control-plane.ts";
import { handManifest } from "./hand-agent.ts";

let controlPlane: ControlPlaneWorld;
const sockets: WebSocket[] = [];
const keys = new Map<string, KeyPairJwk>();

async function json(apiPath: string, init?: RequestInit): Promise<Record<string, unknown>> {
  const response = await controlPlane.api(apiPath, init);
  const body = (await response.json()) as Record<string, unknown>;
  if (!response.ok) throw new Error(`${apiPath} answered ${response.status}: ${JSON.stringify(body)}`);
  return body;
}

async function enroll(host: string, connect: boolean): Promise<void> {
  const key = await generateSigningKey(host);
  keys.set(host, key);
  const { token } = (await json("/v1/enrollments", { method: "POST", body: JSON.stringify({ host }) })) as { token: string };
  const enrolled = await fetch(`${controlPlane.url}/v1/agents/enroll`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ token, host, publicJwk: key.publicJwk, agentVersion: "test" }),
  });
  if (!enrolled.ok) throw new Error(`enrolling ${host}: ${await enrolled.text()}`);
  if (!connect) return;
  const ws = new WebSocket(`${controlPlane.url.replace(/^http/, "ws")}/v1/agents/connect`, {
    headers: { authorization: `Bearer ${await signConnectToken(host, "test", key.privateJwk)}` },
  });
  sockets.push(ws);
  await new Promise<void>((resolve, reject) => {
    ws.once("open", () => resolve());
    ws.once("error", reject);
  });
}

async function post(
  jws: string,
): Promise<{ status: number; body: { rollbackId?: string; error?: { code: string; message: string; details?: { reason?: string } } } }> {
  const response = await fetch(`${controlPlane.url}/v1/agents/rollback-requests`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ jws }),
  });
  return { status: response.status, body: (await response.json()) as never };
}

function signed(host: string, request: HostRollbackRequest, signer = host): Promise<string> {
  const key = keys.get(signer);
  if (key === undefined) throw new TypeError(`no key for ${signer}`);
  return signHostRequest(host, request, key.privateJwk);
}

beforeAll(async () => {
  controlPlane = await startControlPlane();
  await Promise.all([enroll("deploy-a", true), enroll("deploy-b", true), enroll("deploy-off", false)]);
});

afterAll(async () => {
  for (const ws of sockets) ws.close();
  await controlPlane?.stop();
});

describe("host rollback requests", () => {
  it("indexes the carried manifest and requests the rollback as the host, from deploy; a replay is refused", async () => {
    const request = {
      reason: "rewind deploy: 3 consecutive failed health checks",
      backupId: "pre-deployment-a1",
      source: "deploy" as const,
      manifest: handManifest("deploy-a", "pre-deployment-a1"),
    };
    const jws = await signed("deploy-a", request);
    const first = await post(jws);
    expect(first.status).toBe(202);
    const rollback = await json(`/v1/rollbacks/${first.body.rollbackId}`);
    expect(rollback).toMatchObject({ host: "deploy-a", backupId: "pre-deployment-a1", automatic: true, source: "deploy", requestedBy: "host:deploy-a" });
    expect(((await json("/v1/hosts/deploy-a/backups")).backups as Array<{ backupId: string }>).map((b) => b.backupId)).toEqual(["pre-deployment-a1"]);

    const replay = await post(jws);
    expect(replay.status).toBe(401);
    expect(replay.body.error).toMatchObject({ code: "UNAUTHORIZED", details: { reason: "REPLAYED" } });

    // A fresh request while that rollback is in flight names the running one.
    const again = await post(await signed("deploy-a", request));
    expect(again.status).toBe(409);
    expect(again.body.error).toMatchObject({ code: "CONFLICT", details: { rollbackId: first.body.rollbackId } });
  });

  it("refuses a request signed with another host's key", async () => {
    const forged = await post(await signed("deploy-b", { reason: "forged", source: "deploy" }, "deploy-a"));
    expect(forged.status).toBe(401);
    expect(forged.body.error).toMatchObject({ code: "UNAUTHORIZED", details: { reason: "SIGNATURE_INVALID" } });
  });

  it("refuses a manifest of another host or backup", async () => {
    const other = await post(
      await signed("deploy-b", { reason: "x", backupId: "pre-deployment-b1", source: "deploy", manifest: handManifest("deploy-a", "pre-deployment-b1") }),
    );
    expect(other.status).toBe(400);
    expect(other.body.error?.code).toBe("BAD_REQUEST");
  });

  it("answers UNAVAILABLE for a host whose agent is not connected, so the CLI rolls back locally", async () => {
    const offline = await post(
      await signed("deploy-off", { reason: "x", backupId: "pre-deployment-o1", source: "deploy", manifest: handManifest("deploy-off", "pre-deployment-o1") }),
    );
    expect(offline.status).toBe(503);
    expect(offline.body.error?.code).toBe("UNAVAILABLE");
    expect((await json("/v1/rollbacks?host=deploy-off")).rollbacks).toEqual([]);
  });
});

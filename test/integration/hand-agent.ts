// A hand-driven agent against the control plane in workerd: enrolled with a real enrollment and its
// own key, connected over a real socket, signing its own reports. For tests that need a host with a
// known backup but no Docker stack behind it.
import { expect } from "vitest";
import WebSocket from "ws";
import type { BackupManifest } from "../../shared/schemas/manifest.ts";
import type { Report } from "../../shared/schemas/report.ts";
import { generateSigningKey, type KeyPairJwk, signConnectToken, signReport } from "../../shared/signing.ts";
import type { ControlPlaneWorld } from "../world/control-plane.ts";
import { apiJson, waitUntil } from "./rollbacks-helpers.ts";

export interface HandAgent {
  host: string;
  key: KeyPairJwk;
  ws: WebSocket;
  /** Every frame the control plane sent this agent, parsed. */
  frames: Record<string, unknown>[];
  /** The close code once the control plane dropped the socket. */
  closedWith(): number | undefined;
}

/** Enrolls `host` (admin enrollment) with a fresh key and connects it. */
export async function enrolledHandAgent(world: ControlPlaneWorld, host: string): Promise<HandAgent> {
  const key = await generateSigningKey();
  const { body } = await apiJson<{ token: string }>(world, "/v1/enrollments", { method: "POST", body: JSON.stringify({ host }) });
  const enrolled = await fetch(`${world.url}/v1/agents/enroll`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ token: body.token, host, publicJwk: key.publicJwk, agentVersion: "0.1.0-test" }),
  });
  expect(enrolled.status).toBe(200);
  const ws = await connectSocket(world, host, key);
  const frames: Record<string, unknown>[] = [];
  let closed: number | undefined;
  ws.on("message", (data) => frames.push(JSON.parse(String(data)) as Record<string, unknown>));
  ws.on("close", (code) => {
    closed = code;
  });
  return { host, key, ws, frames, closedWith: () => closed };
}

/** Opens an agent socket for `host` signed with `key`; rejects with the HTTP status when the upgrade is refused. */
export async function connectSocket(world: ControlPlaneWorld, host: string, key: KeyPairJwk): Promise<WebSocket> {
  const ws = new WebSocket(`${world.url.replace(/^http/, "ws")}/v1/agents/connect`, {
    headers: { authorization: `Bearer ${await signConnectToken(host, "0.1.0-test", key.privateJwk)}` },
  });
  await new Promise<void>((resolve, reject) => {
    ws.once("open", () => resolve());
    ws.once("unexpected-response", (_request, response) => reject(new Error(`upgrade refused: ${response.statusCode}`)));
    ws.once("error", reject);
  });
  return ws;
}

/** Sends a signed report and waits for the control plane's ack of it. */
export async function sendReport(agent: HandAgent, body: Report): Promise<void> {
  const jws = await signReport(body, agent.host, agent.key.privateJwk);
  const reportId = JSON.parse(Buffer.from(jws.split(".")[1] ?? "", "base64url").toString("utf8")).jti as string;
  agent.ws.send(JSON.stringify({ t: "report", jws }));
  await waitUntil(async () => agent.frames.find((f) => f.t === "report-ack" && f.reportId === reportId), `the ack of ${body.kind} from ${agent.host}`, 30_000);
}

/** A verified-looking backup manifest of `host`, enough for the control plane to accept a rollback request to it. */
export function handManifest(host: string, backupId = "pre-deployment-h1"): BackupManifest {
  return {
    version: 1,
    backupId,
    host,
    composeProject: host,
    timestamp: "20261125_120000",
    createdAt: "2026-11-25T12:00:00.000Z",
    git: { commit: "89abcdef0123456789abcdef0123456789abcdef", branch: "main" },
    services: [],
    agentVersion: "0.1.0-test",
  };
}

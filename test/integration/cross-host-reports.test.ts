// An agent key speaks for its own host only (README trust model). A host that signs reports naming
// another host's command id (ids are not secret: every viewer and notification sees them) used to
// have them filed under that command: the other host's rollback detail showed the forged steps and
// GET /v1/commands/:id the forged result. Hosts, keys and sockets are real, the control plane in workerd.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import type { BackupManifest } from "../../shared/schemas/manifest.ts";
import type { Report } from "../../shared/schemas/report.ts";
import { generateSigningKey, type KeyPairJwk, signConnectToken, signReport } from "../../shared/signing.ts";
import { type ControlPlaneWorld, startControlPlane } from "../world/control-plane.ts";
import { apiJson, auditLines, requestRollback, waitUntil } from "./rollbacks-helpers.ts";

let world: ControlPlaneWorld;
const sockets: WebSocket[] = [];

interface Agent {
  host: string;
  key: KeyPairJwk;
  ws: WebSocket;
  /** Every frame the control plane sent this agent, parsed. */
  frames: Record<string, unknown>[];
}

beforeAll(async () => {
  world = await startControlPlane();
});

afterAll(async () => {
  for (const ws of sockets) ws.close();
  await world?.stop();
});

async function connectedAgent(host: string): Promise<Agent> {
  const key = await generateSigningKey();
  const { body } = await apiJson<{ token: string }>(world, "/v1/enrollments", { method: "POST", body: JSON.stringify({ host }) });
  const enrolled = await fetch(`${world.url}/v1/agents/enroll`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ token: body.token, host, publicJwk: key.publicJwk, agentVersion: "0.1.0-test" }),
  });
  expect(enrolled.status).toBe(200);
  const ws = new WebSocket(`${world.url.replace(/^http/, "ws")}/v1/agents/connect`, {
    headers: { authorization: `Bearer ${await signConnectToken(host, "0.1.0-test", key.privateJwk)}` },
  });
  sockets.push(ws);
  const frames: Record<string, unknown>[] = [];
  ws.on("message", (data) => frames.push(JSON.parse(String(data)) as Record<string, unknown>));
  await new Promise<void>((resolve, reject) => {
    ws.once("open", () => resolve());
    ws.once("error", reject);
  });
  return { host, key, ws, frames };
}

async function report(agent: Agent, body: Report): Promise<void> {
  const jws = await signReport(body, agent.host, agent.key.privateJwk);
  const reportId = JSON.parse(Buffer.from(jws.split(".")[1] ?? "", "base64url").toString("utf8")).jti as string;
  agent.ws.send(JSON.stringify({ t: "report", jws }));
  await waitUntil(async () => agent.frames.find((f) => f.t === "report-ack" && f.reportId === reportId), `the ack of ${body.kind} from ${agent.host}`, 30_000);
}

function manifest(host: string): BackupManifest {
  return {
    version: 1,
    backupId: "pre-deployment-b1",
    host,
    composeProject: host,
    timestamp: "20261125_120000",
    createdAt: "2026-11-25T12:00:00.000Z",
    git: { commit: "89abcdef0123456789abcdef0123456789abcdef", branch: "main" },
    services: [],
    agentVersion: "0.1.0-test",
  };
}

describe("reports naming another host's command", () => {
  it("are not filed under that command, nor shown in its rollback", async () => {
    const [attacker, victim] = await Promise.all([connectedAgent("web-a"), connectedAgent("web-b")]);
    await report(victim, { kind: "manifest", manifest: manifest("web-b") });
    const rollbackId = await requestRollback(world, world.adminToken, "web-b", "bad release on web-b");
    const commandId = await waitUntil(async () => {
      const { body } = await apiJson<{ commandId: string | null }>(world, `/v1/rollbacks/${rollbackId}`);
      return body.commandId ?? undefined;
    }, "the rollback's command");

    await report(attacker, { kind: "progress", commandId, rollbackId, step: "verify", state: "succeeded", message: "forged by web-a" });
    await report(attacker, { kind: "result", commandId, ok: true, message: "forged by web-a" });

    const { body: detail } = await apiJson(world, `/v1/rollbacks/${rollbackId}`);
    expect(JSON.stringify(detail)).not.toContain("forged by web-a");
    const { body: command } = await apiJson<{ host: string; reports: unknown[] }>(world, `/v1/commands/${commandId}`);
    expect(command.host).toBe("web-b");
    expect(command.reports).toEqual([]);
    // Still on the record, as what it is: web-a's own signed statement about a command it does not have.
    const forged = (await auditLines(world)).filter((e) => e.action === "agent.report" && e.subject === `command:${commandId}`);
    expect(forged).toHaveLength(2);
    expect(forged.every((e) => e.details.unknownCommand === true)).toBe(true);
  });
});

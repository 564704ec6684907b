// Whoever holds a host's socket (its agent key, or a connect token caught once, README trust model)
// can send junk frames and badly signed reports as fast as the socket carries them; each refusal used
// to be a permanent audit entry. Now they are folded per minute like unauthenticated refusals, and
// the socket keeps working for what is genuine. A real socket and keys against workerd.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { generateSigningKey, signConnectToken, signReport } from "../../shared/signing.ts";
import { type ControlPlaneWorld, startControlPlane } from "../world/control-plane.ts";
import { type AuditLine, auditLines, waitUntil } from "./rollbacks-helpers.ts";

let world: ControlPlaneWorld;
let ws: WebSocket | undefined;

beforeAll(async () => {
  world = await startControlPlane();
});

afterAll(async () => {
  ws?.close();
  await world?.stop();
});

describe("refusals of what a socket sends", () => {
  it("are folded per minute, and the socket still carries genuine reports", async () => {
    const key = await generateSigningKey();
    const stranger = await generateSigningKey();
    const { token } = (await (await world.api("/v1/enrollments", { method: "POST", body: JSON.stringify({ host: "web-1" }) })).json()) as { token: string };
    const enrolled = await fetch(`${world.url}/v1/agents/enroll`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ token, host: "web-1", publicJwk: key.publicJwk, agentVersion: "0.1.0-test" }),
    });
    expect(enrolled.status).toBe(200);
    const socket = new WebSocket(`${world.url.replace(/^http/, "ws")}/v1/agents/connect`, {
      headers: { authorization: `Bearer ${await signConnectToken("web-1", "0.1.0-test", key.privateJwk)}`, "cf-connecting-ip": "203.0.113.9" },
    });
    ws = socket;
    const acks = new Set<string>();
    socket.on("message", (data) => {
      const frame = JSON.parse(String(data)) as { t: string; reportId?: string };
      if (frame.t === "report-ack" && frame.reportId !== undefined) acks.add(frame.reportId);
    });
    await new Promise<void>((resolve, reject) => {
      socket.once("open", () => resolve());
      socket.once("error", reject);
    });

    const second = new Date().getUTCSeconds();
    if (second > 40) await new Promise((resolve) => setTimeout(resolve, (61 - second) * 1000));
    const minute = Math.floor(Date.now() / 60_000);
    const before = (await auditLines(world)).length;
    for (let i = 0; i < 30; i += 1) socket.send(`junk ${i}`);
    for (let i = 0; i < 30; i += 1)
      socket.send(JSON.stringify({ t: "report", jws: await signReport({ kind: "ack", commandId: `forged-${i}xx` }, "web-1", stranger.privateJwk) }));
    // Sent after the junk: once it is acknowledged, the junk was handled (frames go in order).
    const genuine = await signReport({ kind: "ack", commandId: "genuine-1" }, "web-1", key.privateJwk);
    const genuineId = JSON.parse(Buffer.from(genuine.split(".")[1] ?? "", "base64url").toString("utf8")).jti as string;
    socket.send(JSON.stringify({ t: "report", jws: genuine }));
    await waitUntil(async () => (acks.has(genuineId) ? true : undefined), "the genuine report's ack", 60_000);
    expect(Math.floor(Date.now() / 60_000)).toBe(minute);

    const now = (await auditLines(world)).slice(before);
    expect(now.filter((e) => e.action === "agent.frame-refused")).toHaveLength(1);
    expect(now.filter((e) => e.action === "agent.report-refused")).toHaveLength(1);
    expect(now.filter((e) => e.action === "agent.report" && e.details.reportId === genuineId)).toHaveLength(1);

    const from = new Date(minute * 60_000).toISOString();
    const deadline = Date.now() + 100_000;
    let folded: AuditLine[] = [];
    while (folded.length < 2 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 1000));
      folded = (await auditLines(world)).filter((e) => e.subject === "refusals" && e.details.from === from);
    }
    for (const action of ["agent.frame-refused", "agent.report-refused"]) {
      expect(folded.find((e) => e.action === action)?.details).toMatchObject({
        count: 29,
        hosts: [{ name: "web-1", count: 30 }],
        addresses: [{ name: "203.0.113.9", count: 30 }],
      });
    }
  }, 240_000);
});

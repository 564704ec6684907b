// Issue 14.6, the attack: anyone on the internet sends junk enrollments and bad connect tokens, and
// every refusal used to append a permanent signed audit entry. Now the first refusal of each kind in a
// minute is written with its details, the rest are folded into one entry when the minute ends (count,
// busiest addresses and host names), and a client address or host name past its budget gets 429.
// The control plane in workerd; the junk comes from plain requests and from the real CLI and agent.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { generateSigningKey, type KeyPairJwk, signConnectToken } from "../../shared/signing.ts";
import { type AgentProcess, spawnAgent, writeAgentConfig } from "../world/agent.ts";
import { type ControlPlaneWorld, startControlPlane } from "../world/control-plane.ts";
import { runRewindCli } from "../world/rewind-cli.ts";
import { type AuditLine, auditLines } from "./rollbacks-helpers.ts";

let world: ControlPlaneWorld;
let dir: string;
let agent: AgentProcess | undefined;

beforeAll(async () => {
  world = await startControlPlane();
  dir = await mkdtemp(path.join(tmpdir(), "rewind-refusals-"));
});

afterAll(async () => {
  await agent?.stop();
  await world?.stop();
  await rm(dir, { recursive: true, force: true });
});

async function junkEnrollment(host: string, address: string): Promise<{ status: number; code: string }> {
  const key = await generateSigningKey();
  const response = await fetch(`${world.url}/v1/agents/enroll`, {
    method: "POST",
    headers: { "content-type": "application/json", "cf-connecting-ip": address },
    body: JSON.stringify({ token: "rwe_not-a-real-token", host, publicJwk: { kty: "OKP", crv: "Ed25519", x: key.publicJwk.x }, agentVersion: "0.1.0-test" }),
  });
  return { status: response.status, code: ((await response.json()) as { error: { code: string } }).error.code };
}

async function badConnect(host: string, key: KeyPairJwk, address: string): Promise<number> {
  return connectWith(await signConnectToken(host, "0.1.0-test", key.privateJwk), address);
}

async function connectWith(token: string, address: string): Promise<number> {
  const ws = new WebSocket(`${world.url.replace(/^http/, "ws")}/v1/agents/connect`, {
    headers: { authorization: `Bearer ${token}`, "cf-connecting-ip": address },
  });
  return new Promise<number>((resolve, reject) => {
    ws.on("open", () => {
      // As a real agent does before leaving (local workerd is slow to close a never-spoken socket).
      ws.send(JSON.stringify({ t: "heartbeat", ts: Date.now() }));
      ws.close();
      resolve(101);
    });
    ws.on("unexpected-response", (_request, response) => resolve(response.statusCode ?? 0));
    ws.on("error", reject);
  });
}

describe("unauthenticated refusals", () => {
  it("are rate-limited per address and host name, and folded into one entry per minute", async () => {
    // Everything below happens inside one minute, so the counts are exact.
    const second = new Date().getUTCSeconds();
    if (second > 20) await new Promise((resolve) => setTimeout(resolve, (61 - second) * 1000));

    const flood: { status: number; code: string }[] = [];
    for (let i = 0; i < 25; i += 1) flood.push(await junkEnrollment(`junk-${i}`, "203.0.113.7"));
    expect(flood.slice(0, 20).every((r) => r.status === 403 && r.code === "ENROLLMENT_INVALID")).toBe(true);
    expect(flood.slice(20).every((r) => r.status === 429 && r.code === "RATE_LIMITED")).toBe(true);
    // Another client is not punished for that address.
    expect(await junkEnrollment("junk-99", "198.51.100.9")).toEqual({ status: 403, code: "ENROLLMENT_INVALID" });
    // One host name hammered from many addresses.
    const byHost: number[] = [];
    for (let i = 0; i < 21; i += 1) byHost.push((await junkEnrollment("target-1", `192.0.2.${i + 1}`)).status);
    expect(byHost.slice(0, 20).every((status) => status === 403)).toBe(true);
    expect(byHost[20]).toBe(429);
    // The real CLI with a junk token is refused like the rest.
    const cli = await runRewindCli([
      "agent",
      "enroll",
      "--url",
      world.url,
      "--token",
      "rwe_junk",
      "--host",
      "junk-cli",
      "--config",
      path.join(dir, "cli.json"),
    ]);
    expect(cli.code).not.toBe(0);

    // Bad connect tokens for an enrolled host: a forged key by hand, and a real agent with the wrong key.
    const enrollment = (await (await world.api("/v1/enrollments", { method: "POST", body: JSON.stringify({ host: "web-1" }) })).json()) as { token: string };
    const real = await generateSigningKey();
    const enrolled = await fetch(`${world.url}/v1/agents/enroll`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        token: enrollment.token,
        host: "web-1",
        publicJwk: { kty: "OKP", crv: "Ed25519", x: real.publicJwk.x },
        agentVersion: "0.1.0-test",
      }),
    });
    expect(enrolled.status).toBe(200);
    const forged = await generateSigningKey();
    for (let i = 0; i < 3; i += 1) expect(await badConnect("web-1", forged, "203.0.113.50")).toBe(401);
    // A genuine token caught in transit and replayed: refused and counted the same way.
    const caught = await signConnectToken("web-1", "0.1.0-test", real.privateJwk);
    expect(await connectWith(caught, "203.0.113.60")).toBe(101);
    for (let i = 0; i < 2; i += 1) expect(await connectWith(caught, "203.0.113.60")).toBe(401);
    const keys = world.signingKeys.map(({ d: _secret, ...pub }) => pub);
    agent = spawnAgent(await writeAgentConfig(dir, { host: "web-1", url: world.url, keys, agentKey: forged.privateJwk }));
    await agent.waitForLog((_entry, line) => line.includes("401") || line.toLowerCase().includes("refused"), 30_000);
    await agent.stop();
    agent = undefined;

    const now = await auditLines(world);
    const enrollRefusals = now.filter((e) => e.action === "enrollment.refused");
    expect(enrollRefusals).toHaveLength(1);
    expect(enrollRefusals[0]).toMatchObject({ subject: "host:junk-0", details: { address: "203.0.113.7", reason: "unknown enrollment token" } });
    expect(now.filter((e) => e.action === "agent.connect-refused")).toHaveLength(1);

    // When the minute is over: one folded entry per kind, with the count and who sent them.
    const deadline = Date.now() + 90_000;
    let folded: AuditLine[] = [];
    while (folded.length < 2 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 1000));
      folded = (await auditLines(world)).filter((e) => e.subject === "refusals");
    }
    const enrollFold = folded.find((e) => e.action === "enrollment.refused");
    // 25 + 1 + 21 by hand and one from the CLI; the first was written on its own.
    expect(enrollFold?.details).toMatchObject({ folded: true, count: 47 });
    expect(enrollFold?.details.addresses).toContainEqual({ name: "203.0.113.7", count: 25 });
    expect(enrollFold?.details.hosts).toContainEqual({ name: "target-1", count: 21 });
    const connectFold = folded.find((e) => e.action === "agent.connect-refused");
    // Three forged, two replays, and the real agent's tries with the wrong key, beyond the first.
    expect(Number(connectFold?.details.count)).toBeGreaterThanOrEqual(5);
    expect(connectFold?.details.hosts).toEqual([{ name: "web-1", count: Number(connectFold?.details.count) + 1 }]);
  }, 240_000);

  it("count an IPv6 client by its /64, which holds more addresses than any budget", async () => {
    const second = new Date().getUTCSeconds();
    if (second > 30) await new Promise((resolve) => setTimeout(resolve, (61 - second) * 1000));
    const statuses: number[] = [];
    for (let i = 0; i < 22; i += 1) statuses.push((await junkEnrollment(`v6-${i}`, `2001:db8:77:1:${(i + 1).toString(16)}::9`)).status);
    expect(statuses.slice(0, 20).every((status) => status === 403)).toBe(true);
    expect(statuses.slice(20)).toEqual([429, 429]);
    // Another /64 of the same provider is another client.
    expect((await junkEnrollment("v6-other", "2001:db8:77:2::9")).status).toBe(403);
  }, 120_000);
});

import { importJWK, SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CommandClaims } from "../../shared/schemas/command.ts";
import { maxFrameBytes } from "../../shared/schemas/frames.ts";
import type { ReportClaims } from "../../shared/schemas/report.ts";
import { generateSigningKey, type KeyPairJwk, nowSeconds, randomId, signCommand } from "../../shared/signing.ts";
import { type AgentProcess, listeningSockets, type ProtocolPeer, spawnAgent } from "../world/agent.ts";
import { startPeerAgent, stopPeerAgent } from "./peer-agent.ts";

const host = "refusal-host";
let dir: string;
let controlPlaneKey: KeyPairJwk;
let peer: ProtocolPeer;
let configPath: string;
let agent: AgentProcess;

function claims(overrides: Partial<CommandClaims> = {}): CommandClaims {
  const iat = nowSeconds();
  return {
    iss: "rewind-control-plane",
    aud: host,
    jti: randomId(),
    nonce: randomId(),
    iat,
    exp: iat + 300,
    action: { type: "ping" },
    ...overrides,
  };
}

function commandFrame(id: string, jws: string): string {
  return JSON.stringify({ t: "command", id, jws });
}

function reportsFor(commandId: string): ReportClaims["report"][] {
  return peer.reports.map((r) => r.report).filter((r) => "commandId" in r && r.commandId === commandId);
}

async function expectRefused(commandId: string, code: string): Promise<void> {
  const rejected = await peer.waitForReport((r) => r.kind === "rejected" && r.commandId === commandId);
  expect(rejected).toMatchObject({ kind: "rejected", code });
  await agent.waitForLog((e) => e.msg === "command rejected, not executed" && e.commandId === commandId && e.code === code);
  expect(reportsFor(commandId).map((r) => r.kind)).toEqual(["rejected"]);
}

async function pingRoundTrip(c: CommandClaims, jws: string): Promise<void> {
  peer.sendRaw(commandFrame(c.jti, jws));
  const result = await peer.waitForReport((r) => r.kind === "result" && r.commandId === c.jti);
  expect(result).toMatchObject({ ok: true, output: { pong: expect.any(String) } });
}

beforeAll(async () => {
  ({ dir, controlPlaneKey, peer, configPath, agent } = await startPeerAgent(host, "rewind-refusals-"));
});

afterAll(async () => {
  await stopPeerAgent({ agent, peer, dir });
});

describe("agent refusals (real agent process, protocol peer)", () => {
  it("runs a genuine ping: ack, then a result with the pong time", async () => {
    const c = claims();
    await pingRoundTrip(c, await signCommand(c, controlPlaneKey.privateJwk));
    expect(reportsFor(c.jti).map((r) => r.kind)).toEqual(["ack", "result"]);
  });

  it("refuses a forged signature", async () => {
    const forger = await generateSigningKey("cp-test");
    const c = claims();
    peer.sendRaw(commandFrame(c.jti, await signCommand(c, forger.privateJwk)));
    await expectRefused(c.jti, "SIGNATURE_INVALID");
  });

  it("refuses a key that is not pinned (unknown kid)", async () => {
    const stranger = await generateSigningKey("not-pinned");
    const c = claims();
    peer.sendRaw(commandFrame(c.jti, await signCommand(c, stranger.privateJwk)));
    await expectRefused(c.jti, "UNKNOWN_KEY");
  });

  it("refuses a command for another host", async () => {
    const c = claims({ aud: "some-other-host" });
    peer.sendRaw(commandFrame(c.jti, await signCommand(c, controlPlaneKey.privateJwk)));
    await expectRefused(c.jti, "WRONG_AUDIENCE");
  });

  it("refuses an expired command", async () => {
    const c = claims({ iat: nowSeconds() - 900, exp: nowSeconds() - 120 });
    peer.sendRaw(commandFrame(c.jti, await signCommand(c, controlPlaneKey.privateJwk)));
    await expectRefused(c.jti, "EXPIRED");
  });

  it("refuses a command type outside the closed set, even when properly signed", async () => {
    const c = { ...claims(), action: { type: "shell", command: "touch /tmp/pwned" } };
    const key = await importJWK(controlPlaneKey.privateJwk, "EdDSA");
    const jws = await new SignJWT(c).setProtectedHeader({ alg: "EdDSA", typ: "rewind-command+jwt", kid: "cp-test" }).sign(key);
    peer.sendRaw(commandFrame(c.jti, jws));
    await expectRefused(c.jti, "MALFORMED");
  });

  it("refuses malformed JSON", async () => {
    const id = randomId();
    peer.sendRaw(`{"t":"command","id":"${id}","jws":"eyJ`);
    await expectRefused(id, "MALFORMED");
  });

  it("refuses an oversized frame without parsing it", async () => {
    const c = claims();
    const jws = await signCommand(c, controlPlaneKey.privateJwk);
    peer.sendRaw(JSON.stringify({ t: "command", id: c.jti, jws: `${jws}${" ".repeat(maxFrameBytes)}` }));
    await expectRefused(c.jti, "PAYLOAD_TOO_LARGE");
  });

  it("refuses an unknown frame type", async () => {
    peer.sendRaw(JSON.stringify({ t: "exec", id: "exec-0000001", cmd: "id" }));
    const rejected = await peer.waitForReport((r) => r.kind === "rejected" && r.reason.includes("unknown frame type 'exec'"));
    expect(rejected).toMatchObject({ code: "MALFORMED" });
  });

  it("refuses a command whose preconditions no longer hold", async () => {
    const c = claims({ pre: { commit: "0123456789abcdef0123456789abcdef01234567" } });
    peer.sendRaw(commandFrame(c.jti, await signCommand(c, controlPlaneKey.privateJwk)));
    await expectRefused(c.jti, "PRECONDITION_FAILED");
  });

  it("refuses a replay, also after the agent restarted", async () => {
    const c = claims();
    const jws = await signCommand(c, controlPlaneKey.privateJwk);
    await pingRoundTrip(c, jws);

    peer.sendRaw(commandFrame(c.jti, jws));
    const first = await peer.waitForReport((r) => r.kind === "rejected" && r.commandId === c.jti);
    expect(first).toMatchObject({ code: "REPLAYED" });

    expect(await agent.stop()).toBe(0);
    const before = peer.connections();
    agent = spawnAgent(configPath);
    await peer.waitFor(() => (peer.connections() > before ? true : undefined), "the restarted agent to connect");
    peer.sendRaw(commandFrame(c.jti, jws));
    await peer.waitFor(() => (reportsFor(c.jti).filter((r) => r.kind === "rejected").length === 2 ? true : undefined), "a second REPLAYED rejection");
    expect(reportsFor(c.jti).map((r) => [r.kind, r.kind === "rejected" ? r.code : ""])).toEqual([
      ["ack", ""],
      ["result", ""],
      ["rejected", "REPLAYED"],
      ["rejected", "REPLAYED"],
    ]);
  });

  it("listens on no socket at all", async () => {
    await agent.waitForLog((e) => e.msg === "connected to control plane");
    expect(await listeningSockets(agent.pid)).toEqual([]);
    // The probe is not blind: in this process it sees the protocol peer's listening port.
    const port = Number(new URL(peer.url).port).toString(16).toUpperCase().padStart(4, "0");
    expect((await listeningSockets(process.pid)).map((s) => s.local)).toContain(`0100007F:${port}`);
  });
});

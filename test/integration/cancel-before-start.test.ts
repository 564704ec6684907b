// Issue 14.12: a `cancel` that reaches the agent before its target command (the target was delayed,
// or redelivered after a reconnect) must keep that command from ever running, also when the agent
// restarts in between: the cancel is kept with the replay-protection nonces, on disk. The real
// `rewind agent run` process, SIGKILLed and started again; a protocol peer (real `ws` server, real
// signed commands) plays the control plane, since only it can send the target after its cancel.
import { readFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import type { CommandClaims } from "../../shared/schemas/command.ts";
import { type KeyPairJwk, nowSeconds, randomId, signCommand } from "../../shared/signing.ts";
import { type AgentProcess, type ProtocolPeer, spawnAgent } from "../world/agent.ts";
import { startPeerAgent, stopPeerAgent } from "./peer-agent.ts";

const host = "cancel-host";
let dir: string;
let controlPlaneKey: KeyPairJwk;
let peer: ProtocolPeer;
let configPath: string;
let agent: AgentProcess | undefined;

function claims(action: CommandClaims["action"], jti = randomId()): CommandClaims {
  const iat = nowSeconds();
  return { iss: "rewind-control-plane", aud: host, jti, nonce: randomId(), iat, exp: iat + 300, action };
}

async function send(c: CommandClaims): Promise<void> {
  peer.sendRaw(JSON.stringify({ t: "command", id: c.jti, jws: await signCommand(c, controlPlaneKey.privateJwk) }));
}

beforeAll(async () => {
  ({ dir, controlPlaneKey, peer, configPath, agent } = await startPeerAgent(host, "rewind-cancel-early-"));
});

afterAll(async () => {
  await stopPeerAgent({ agent, peer, dir });
});

it("never runs a command cancelled before it arrived, across an agent restart", async () => {
  const targetId = randomId();
  const cancel = claims({ type: "cancel", targetCommandId: targetId });
  await send(cancel);
  const answered = await peer.waitForReport((r) => r.kind === "result" && r.commandId === cancel.jti);
  expect(answered).toMatchObject({ ok: false, code: "NOT_FOUND" });
  // On disk before the answer went out.
  const stored = JSON.parse(await readFile(path.join(dir, "state", "nonces.json"), "utf8")) as { cancelled?: Record<string, number> };
  expect(Object.keys(stored.cancelled ?? {})).toEqual([targetId]);

  agent?.kill("SIGKILL");
  await agent?.exited;
  const before = peer.connections();
  agent = spawnAgent(configPath);
  await peer.waitFor(() => (peer.connections() > before ? true : undefined), "the agent to reconnect");

  // The target arrives now: acknowledged, answered CANCELLED, never run (a ping would answer a pong).
  await send(claims({ type: "ping" }, targetId));
  const result = await peer.waitForReport((r) => r.kind === "result" && r.commandId === targetId);
  expect(result).toMatchObject({ ok: false, code: "CANCELLED" });
  expect(result).not.toHaveProperty("output.pong");
  // And an ordinary command still runs.
  const ping = claims({ type: "ping" });
  await send(ping);
  expect(await peer.waitForReport((r) => r.kind === "result" && r.commandId === ping.jti)).toMatchObject({ ok: true });
});

// The real `rewind agent run` process connected to a protocol peer (a real `ws` server, real signed
// tokens) that plays the control plane, for tests that send frames a genuine control plane never would.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { generateSigningKey, type KeyPairJwk } from "../../shared/signing.ts";
import { type AgentProcess, type ProtocolPeer, spawnAgent, startProtocolPeer, writeAgentConfig } from "../world/agent.ts";

export interface PeerAgent {
  dir: string;
  /** The key the peer signs commands with; the agent's config pins its public half. */
  controlPlaneKey: KeyPairJwk;
  peer: ProtocolPeer;
  configPath: string;
  agent: AgentProcess;
}

/** A temporary directory named `tmpPrefix…`, the agent's config for `host` in it, and the agent connected to the peer. */
export async function startPeerAgent(host: string, tmpPrefix: string): Promise<PeerAgent> {
  const dir = await mkdtemp(path.join(tmpdir(), tmpPrefix));
  let peer: ProtocolPeer | undefined;
  let agent: AgentProcess | undefined;
  try {
    const controlPlaneKey = await generateSigningKey("cp-test");
    const agentKey = await generateSigningKey();
    peer = await startProtocolPeer({ host, agentKey: agentKey.publicJwk });
    const configPath = await writeAgentConfig(dir, { host, url: peer.url, keys: [controlPlaneKey.publicJwk], agentKey: agentKey.privateJwk });
    agent = spawnAgent(configPath);
    const connected = peer;
    await connected.waitFor(() => (connected.connections() > 0 ? true : undefined), "the agent to connect");
    return { dir, controlPlaneKey, peer, configPath, agent };
  } catch (error) {
    await stopPeerAgent({ agent, peer, dir });
    throw error;
  }
}

/** Stops the agent (the one running now: a test may have restarted it) and the peer, and removes the directory. */
export async function stopPeerAgent(parts: { agent?: AgentProcess | undefined; peer?: ProtocolPeer | undefined; dir?: string | undefined }): Promise<void> {
  await parts.agent?.stop();
  await parts.peer?.stop();
  if (parts.dir !== undefined) await rm(parts.dir, { recursive: true, force: true });
}

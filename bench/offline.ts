// How long until the control plane shows a host offline (GET /v1/hosts) after its agent, a real
// `rewind agent run` process connected to the real Worker in workerd, is killed with SIGKILL (its
// kernel closes the socket) or frozen with SIGSTOP (the socket stays open and silent, as on a power
// loss or a partition: only the heartbeat timeout, AGENT_TIMEOUT_SECONDS, can tell).
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { spawnAgent, writeAgentConfig } from "../test/world/agent.ts";
import { type ControlPlaneWorld, startControlPlane } from "../test/world/control-plane.ts";
import { enrollHost, ok } from "./enroll.ts";

export interface OfflineRow {
  how: "SIGKILL" | "SIGSTOP";
  seconds: number;
}

async function status(world: ControlPlaneWorld, host: string): Promise<string | undefined> {
  const { hosts } = await ok<{ hosts: { name: string; status: string }[] }>(await world.api("/v1/hosts"), "host list");
  return hosts.find((h) => h.name === host)?.status;
}

async function waitForStatus(world: ControlPlaneWorld, host: string, wanted: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while ((await status(world, host)) !== wanted) {
    if (Date.now() > deadline) throw new Error(`${host} not ${wanted} within ${timeoutMs / 1000} s`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function measure(world: ControlPlaneWorld, how: OfflineRow["how"], root: string): Promise<OfflineRow> {
  const host = `offline-${how.toLowerCase()}`;
  const dir = path.join(root, host);
  const { key, controlPlaneKeys } = await enrollHost(world, host);
  const agent = spawnAgent(await writeAgentConfig(await mkdtemp(`${dir}-`), { host, url: world.url, keys: controlPlaneKeys, agentKey: key.privateJwk }));
  try {
    await waitForStatus(world, host, "online", 60_000);
    // Let a heartbeat or two pass, as on a host that has been up for a while.
    await new Promise((resolve) => setTimeout(resolve, 12_000));
    const started = performance.now();
    agent.kill(how);
    await waitForStatus(world, host, "offline", 120_000);
    return { how, seconds: Math.round((performance.now() - started) / 100) / 10 };
  } finally {
    agent.kill("SIGKILL");
    await agent.exited;
  }
}

export async function offlineDetection(): Promise<OfflineRow[]> {
  const world = await startControlPlane();
  const root = await mkdtemp(path.join(tmpdir(), "rewind-bench-offline-"));
  try {
    return [await measure(world, "SIGKILL", root), await measure(world, "SIGSTOP", root)];
  } finally {
    await world.stop();
    await rm(root, { recursive: true, force: true });
  }
}

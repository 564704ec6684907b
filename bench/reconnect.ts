// A reconnect storm: N agents connected to one control plane (the real Worker in workerd; real
// agent instances sharing this process) are all stopped, then all started again at once on their
// state, as after a network outage on the hosts' side. Measured from that start: until every agent
// is welcomed back, and the
// latency (API call → agent ack) of ping commands queued every 20 ms meanwhile. Commands for a host
// still reconnecting wait for it: they count as lost only if never acknowledged; the p99 is taken
// over commands whose host was connected when they were queued. An API call whose connection the
// local runtime resets (workerd on a starved 2-core machine does, mid-storm) queued nothing the
// caller knows of: it is counted apart, as `resets`, and the storm goes on.
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import type { RunningAgent } from "../agent/src/agent.ts";
import { startControlPlane } from "../test/world/control-plane.ts";
import { type BenchAgent, percentile, pool, restartableAgent, waitUntil } from "./channel-latency.ts";
import { bulkEnrollment, ok } from "./enroll.ts";

export interface ReconnectRow {
  agents: number;
  allOnlineSeconds: number;
  commands: number;
  lost: number;
  /** API calls whose connection was reset before an answer (no command id came back). */
  resets: number;
  p99Ms: number;
}

/** A request that never got an HTTP answer (fetch's TypeError, e.g. ECONNRESET), not an error status. */
const isConnectionFailure = (error: unknown): boolean => error instanceof TypeError && error.message === "fetch failed";

/** The soft limit on open files this process (and workerd, its child) may hold. */
async function openFilesLimit(): Promise<number> {
  const limits = await readFile("/proc/self/limits", "utf8");
  const soft = /^Max open files\s+(\d+|unlimited)/m.exec(limits)?.[1];
  return soft === undefined || soft === "unlimited" ? Number.POSITIVE_INFINITY : Number(soft);
}

/**
 * Locally every host's Durable Object lives in one workerd process: its agent's socket and its
 * SQLite database's files are open at once there (about 4 per host, counted at 250-1,000 agents).
 * Past the limit workerd cannot open a host's database and the control plane answers 500, which
 * would read as a product failure.
 */
async function requireOpenFiles(agentCount: number): Promise<void> {
  const need = agentCount * 4 + 2_000;
  const limit = await openFilesLimit();
  if (limit < need) {
    throw new Error(
      `${agentCount} agents need about ${need} open files in workerd (a socket and 3 SQLite files per host); this process may open ${limit}: raise it (ulimit -n ${need * 2}; npm run bench does)`,
    );
  }
}

export async function reconnectStorm(agentCount: number): Promise<ReconnectRow> {
  await requireOpenFiles(agentCount);
  const world = await startControlPlane(bulkEnrollment);
  const stateRoot = await mkdtemp(path.join(tmpdir(), "rewind-bench-storm-"));
  const enrolled = new Map<string, BenchAgent>();
  const agents = new Map<string, RunningAgent>();
  const ackTimes = new Map<string, number>();
  try {
    const hosts = Array.from({ length: agentCount }, (_, i) => `storm-${i}`);
    await pool(hosts, 8, async (host) => {
      const agent = await restartableAgent(world, host, stateRoot, (commandId) => ackTimes.set(commandId, performance.now()));
      enrolled.set(host, agent);
      agents.set(host, agent.running);
    });
    await waitUntil(() => [...agents.values()].every((a) => a.connected), `${agentCount} agents to connect`, 300_000);

    await Promise.all([...agents.values()].map((a) => a.stop(1_000)));
    const restarted = performance.now();
    await Promise.all(
      [...enrolled].map(async ([host, agent]) => {
        agents.set(host, await agent.start());
      }),
    );
    const everyone = [...agents.values()];
    const queued: { commandId: string; at: number; hostWasConnected: boolean }[] = [];
    let allOnlineAt: number | undefined;
    let resets = 0;
    // Keep queueing through the storm and a little after, so the p99 covers the whole of it.
    for (let i = 0; allOnlineAt === undefined || performance.now() - allOnlineAt < 2_000; i++) {
      if (performance.now() - restarted > 180_000) {
        throw new Error(`${everyone.filter((a) => !a.connected).length} of ${agentCount} agents still reconnecting after 180 s`);
      }
      const host = hosts[(i * 7919) % hosts.length] ?? "storm-0";
      const hostWasConnected = agents.get(host)?.connected === true;
      const at = performance.now();
      try {
        const { commandId } = await ok<{ commandId: string }>(
          await world.api(`/v1/hosts/${host}/commands`, { method: "POST", body: JSON.stringify({ action: { type: "ping" } }) }),
          "queue ping",
        );
        queued.push({ commandId, at, hostWasConnected });
      } catch (error) {
        if (!isConnectionFailure(error)) throw error;
        resets++;
      }
      if (allOnlineAt === undefined && everyone.every((a) => a.connected)) allOnlineAt = performance.now();
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    // Everything queued must be acknowledged; what is not within a minute is counted as lost.
    await waitUntil(() => queued.every((c) => ackTimes.has(c.commandId)), "every command's ack", 60_000).catch(() => undefined);
    const { hosts: shown } = await ok<{ hosts: { name: string; status: string }[] }>(await world.api("/v1/hosts"), "host list");
    const offline = shown.filter((h) => h.name.startsWith("storm-") && h.status !== "online").length;
    if (offline > 0) throw new Error(`${offline} hosts not shown online although their agents are connected`);
    const latencies = queued
      .filter((c) => c.hostWasConnected && ackTimes.has(c.commandId))
      .map((c) => (ackTimes.get(c.commandId) ?? 0) - c.at)
      .sort((a, b) => a - b);
    return {
      agents: agentCount,
      allOnlineSeconds: Math.round(((allOnlineAt ?? Number.NaN) - restarted) / 100) / 10,
      commands: queued.length,
      lost: queued.filter((c) => !ackTimes.has(c.commandId)).length,
      resets,
      p99Ms: Math.round(percentile(latencies, 99)),
    };
  } catch (error) {
    // The Worker's own account of a failure (an HTTP 500 says only "see the control plane's logs").
    console.error(
      world
        .logs()
        .filter((line) => /error|fail/i.test(line))
        .slice(-20)
        .join("\n"),
    );
    throw error;
  } finally {
    await Promise.all([...agents.values()].map((a) => a.stop(1_000)));
    await world.stop();
    await rm(stateRoot, { recursive: true, force: true });
  }
}

// Command latency from the operator's API call to the agent's signed acknowledgement, with 1, 100
// and 1,000 agents connected to one control plane (the real Worker in workerd). The agents are real
// agent instances (connection, verification, nonce store, outbox) sharing this process; the ack
// time is when the agent put its signed ack on the socket.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { Writable } from "node:stream";
import { pathToFileURL } from "node:url";
import { type RunningAgent, startAgent } from "../agent/src/agent.ts";
import { parseAgentConfig } from "../agent/src/config.ts";
import { createLogger } from "../agent/src/log.ts";
import { type ControlPlaneWorld, startControlPlane } from "../test/world/control-plane.ts";
import { bulkEnrollment, enrollHost, ok } from "./enroll.ts";

export interface LatencyRow {
  agents: number;
  samples: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const index = Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1);
  return sorted[Math.max(0, index)] ?? Number.NaN;
}

export async function pool<T>(items: readonly T[], width: number, task: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(width, items.length) }, async () => {
      while (next < items.length) {
        const item = items[next++];
        if (item !== undefined) await task(item);
      }
    }),
  );
}

/** An enrolled host's agent, startable again on the same state (a restarted agent process). */
export interface BenchAgent {
  running: RunningAgent;
  start(): Promise<RunningAgent>;
}

/** Enrolls a host through the public API (one-time token, then the agent's key) and starts its agent. */
export async function enrolledAgent(world: ControlPlaneWorld, host: string, stateRoot: string, onAckSent: (commandId: string) => void): Promise<RunningAgent> {
  return (await restartableAgent(world, host, stateRoot, onAckSent)).running;
}

export async function restartableAgent(world: ControlPlaneWorld, host: string, stateRoot: string, onAckSent: (commandId: string) => void): Promise<BenchAgent> {
  const { key, controlPlaneKeys } = await enrollHost(world, host);
  const dir = path.join(stateRoot, host);
  const config = parseAgentConfig(
    {
      host,
      controlPlane: { url: world.url, keys: controlPlaneKeys },
      agentKey: key.privateJwk,
      stateDir: path.join(dir, "state"),
      project: { name: `bench-${host}`, dir },
    },
    "bench",
    stateRoot,
  );
  const start = (): Promise<RunningAgent> => {
    // Debug lines carry "report sent" with the command id: that instant is the acknowledgement.
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        const entry = JSON.parse(chunk.toString("utf8")) as { msg?: string; kind?: string; commandId?: string; sent?: boolean };
        if (entry.msg === "report sent" && entry.kind === "ack" && entry.commandId !== undefined) onAckSent(entry.commandId);
        done();
      },
    });
    return startAgent({ config, log: createLogger({ destination: sink, level: "debug" }) });
  };
  return { running: await start(), start };
}

export async function waitUntil(probe: () => boolean, what: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function measure(agentCount: number, samples: number): Promise<LatencyRow> {
  const world = await startControlPlane(bulkEnrollment);
  const stateRoot = await mkdtemp(path.join(tmpdir(), "rewind-bench-"));
  const agents: RunningAgent[] = [];
  /** command id → when its ack was sent; filled by the agents' log sinks. */
  const ackTimes = new Map<string, number>();
  try {
    const hosts = Array.from({ length: agentCount }, (_, i) => `bench-${i}`);
    await pool(hosts, 8, async (host) => {
      agents.push(
        await enrolledAgent(world, host, stateRoot, (commandId) => {
          ackTimes.set(commandId, performance.now());
        }),
      );
    });
    await waitUntil(() => agents.every((a) => a.connected), `${agentCount} agents to connect`, 120_000);

    const latencies: number[] = [];
    for (let i = 0; i < samples; i++) {
      const host = hosts[(i * 7919) % hosts.length] ?? "bench-0";
      const started = performance.now();
      const response = await world.api(`/v1/hosts/${host}/commands`, {
        method: "POST",
        body: JSON.stringify({ action: { type: "ping" } }),
      });
      const { commandId } = await ok<{ commandId: string }>(response, "queue ping");
      // The ack can beat the HTTP response back; its time was taken by the sink, not by this wait.
      await waitUntil(() => ackTimes.has(commandId), `the ack of ${commandId}`, 30_000);
      const ackedAt = ackTimes.get(commandId) ?? Number.NaN;
      ackTimes.delete(commandId);
      latencies.push(ackedAt - started);
    }
    latencies.sort((a, b) => a - b);
    const round = (ms: number): number => Math.round(ms * 10) / 10;
    return {
      agents: agentCount,
      samples,
      p50Ms: round(percentile(latencies, 50)),
      p99Ms: round(percentile(latencies, 99)),
      maxMs: round(latencies.at(-1) ?? Number.NaN),
    };
  } finally {
    await Promise.all(agents.map((a) => a.stop(1_000)));
    await world.stop();
    await rm(stateRoot, { recursive: true, force: true });
  }
}

export async function channelLatency(agentCounts: readonly number[] = [1, 100, 1000], samples = 200): Promise<LatencyRow[]> {
  const rows: LatencyRow[] = [];
  for (const count of agentCounts) rows.push(await measure(count, samples));
  return rows;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const rows = await channelLatency();
  console.log("command latency, API call → agent ack (ms)");
  console.table(rows);
}

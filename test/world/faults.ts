// Faults for the fault suite: a loopback TCP proxy between the agent and the control plane that can
// cut the network (connections dropped, new ones refused) and heal it, a watch on a rollback's
// on-disk journal so a fault lands while a chosen step is running, and a power cut's aftermath
// (Docker's restart policies starting the stopped containers while the agent is dead).
import { readdir, readFile } from "node:fs/promises";
import net from "node:net";
import path from "node:path";
import type Docker from "dockerode";
import * as z from "zod";
import { listProjectContainers } from "../../agent/src/host/compose.ts";
import { tieSockets } from "./socket-pair.ts";

export interface NetworkLink {
  /** http://127.0.0.1:<port>: what the agent config points at instead of the control plane. */
  url: string;
  /** Drops every open connection and refuses new ones until heal(). */
  cut(): void;
  heal(): void;
  /** Connections accepted (and forwarded) so far. */
  connections(): number;
  stop(): Promise<void>;
}

export async function startNetworkLink(target: string): Promise<NetworkLink> {
  const { hostname, port } = new URL(target);
  const open = new Set<net.Socket>();
  let severed = false;
  let accepted = 0;
  const server = net.createServer((client) => {
    if (severed) {
      client.destroy();
      return;
    }
    accepted += 1;
    const upstream = net.connect({ host: hostname, port: Number(port) });
    tieSockets(open, client, upstream);
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("the network link has no TCP address");
  return {
    url: `http://127.0.0.1:${address.port}`,
    cut() {
      severed = true;
      for (const socket of open) socket.destroy();
      open.clear();
    },
    heal() {
      severed = false;
    },
    connections: () => accepted,
    async stop() {
      for (const socket of open) socket.destroy();
      await new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
    },
  };
}

const journalLine = z.object({ kind: z.string(), step: z.string().optional(), state: z.string().optional() });
export type JournalLine = z.output<typeof journalLine>;

/** The journal lines of the one rollback under `stateDir` (an empty list before it began). */
export async function journalLines(stateDir: string): Promise<JournalLine[]> {
  const dir = path.join(stateDir, "rollbacks");
  const ids = await readdir(dir).catch(() => []);
  const [id] = ids;
  if (id === undefined) return [];
  if (ids.length > 1) throw new Error(`expected one rollback under ${dir}, found ${ids.join(", ")}`);
  const text = await readFile(path.join(dir, id, "journal.jsonl"), "utf8").catch(() => "");
  // The line being written may be torn: only lines that parse whole count.
  return text.split("\n").flatMap((line) => {
    try {
      return [journalLine.parse(JSON.parse(line))];
    } catch {
      return [];
    }
  });
}

/** Resolves once the journal shows `step` started (and not yet done), polling every few ms. */
export async function whenStepRuns(stateDir: string, step: string, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const lines = await journalLines(stateDir);
    const last = lines.at(-1);
    if (last?.kind === "start" && last.step === step) return;
    if (lines.some((line) => line.kind === "end") || lines.some((line) => line.kind === "done" && line.step === step)) {
      throw new Error(`the rollback got past ${step} before it was seen running: ${JSON.stringify(lines)}`);
    }
    if (Date.now() > deadline) throw new Error(`step ${step} not seen running within ${timeoutMs} ms: ${JSON.stringify(lines)}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** Resolves with the final state once the journal has its end line. */
export async function whenJournalEnds(stateDir: string, timeoutMs = 120_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const end = (await journalLines(stateDir)).find((line) => line.kind === "end");
    if (end?.state !== undefined) return end.state;
    if (Date.now() > deadline) throw new Error(`the rollback journal under ${stateDir} did not end within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * After a power cut, Docker starts every container with a `restart: always` policy, including the
 * ones a rollback had stopped. Starts the project's stopped containers (those that can start: one
 * whose volume data is mid-rename fails after a real power cut too); returns them.
 */
export async function restartAfterPowerCut(docker: Docker, project: string): Promise<{ id: string; name: string }[]> {
  const stopped = (await listProjectContainers(docker, project)).filter((c) => c.state !== "running");
  const started: { id: string; name: string }[] = [];
  for (const container of stopped) {
    const ok = await docker
      .getContainer(container.id)
      .start()
      .then(
        () => true,
        () => false,
      );
    if (ok) started.push({ id: container.id, name: container.name });
  }
  return started;
}

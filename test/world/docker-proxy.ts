// A Unix-socket proxy in front of the Docker engine, for an agent started with DOCKER_HOST pointing at
// it: while held, what the agent sends Docker (new connections and kept-alive ones alike) waits in
// the proxy, so whatever it then asks Docker (the host state it reads to check a command's
// preconditions) hangs until release(). The engine itself is untouched.
import { mkdtemp, rm } from "node:fs/promises";
import net from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { tieSockets } from "./socket-pair.ts";

export interface DockerProxy {
  /** `unix://…`: the agent's DOCKER_HOST. */
  dockerHost: string;
  hold(): void;
  /** Sends on what waited, and lets everything through again. */
  release(): void;
  /** Requests (chunks) that waited while held. */
  held(): number;
  stop(): Promise<void>;
}

/** The engine's socket as the test process reaches it (DOCKER_HOST=unix://…, or the default). */
function engineSocket(): string {
  const host = process.env.DOCKER_HOST;
  if (host === undefined || host === "") return "/var/run/docker.sock";
  if (!host.startsWith("unix://")) throw new Error(`the Docker proxy forwards to a Unix socket; DOCKER_HOST is ${host}`);
  return host.slice("unix://".length);
}

export async function startDockerProxy(): Promise<DockerProxy> {
  const engine = engineSocket();
  const dir = await mkdtemp(path.join(tmpdir(), "rewind-docker-proxy-"));
  const socketPath = path.join(dir, "docker.sock");
  const open = new Set<net.Socket>();
  let holding = false;
  let heldCount = 0;
  const waiting: { upstream: net.Socket; chunk: Buffer }[] = [];
  const server = net.createServer((client) => {
    const upstream = net.connect(engine);
    tieSockets(open, client, upstream);
    client.on("data", (chunk: Buffer) => {
      if (!holding) {
        upstream.write(chunk);
        return;
      }
      heldCount += 1;
      waiting.push({ upstream, chunk });
    });
    upstream.pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(socketPath, resolve));
  return {
    dockerHost: `unix://${socketPath}`,
    hold() {
      holding = true;
    },
    release() {
      holding = false;
      for (const { upstream, chunk } of waiting.splice(0)) if (!upstream.destroyed) upstream.write(chunk);
    },
    held: () => heldCount,
    async stop() {
      for (const socket of open) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await rm(dir, { recursive: true, force: true });
    },
  };
}

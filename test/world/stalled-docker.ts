// A Docker Engine that stalls: a unix socket that forwards every request to the real engine except
// those matching `stallOn` (past the first `skip` of them, at most `limit`), which it accepts and
// never answers (the connection stays open), as a hung dockerd does. Point a client at it with DOCKER_HOST=unix://<socketPath>.
import { mkdtemp, rm } from "node:fs/promises";
import { connect, createServer, type Socket } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";

export interface StalledDocker {
  socketPath: string;
  /** Request lines ("GET /v1.41/containers/…/logs?…") left unanswered so far. */
  stalled(): string[];
  stop(): Promise<void>;
}

export async function startStalledDocker(
  stallOn: RegExp,
  { skip = 0, limit = Number.POSITIVE_INFINITY, engineSocket = "/var/run/docker.sock" }: { skip?: number; limit?: number; engineSocket?: string } = {},
): Promise<StalledDocker> {
  const dir = await mkdtemp(path.join(tmpdir(), "rewind-stalled-docker-"));
  const socketPath = path.join(dir, "docker.sock");
  const sockets = new Set<Socket>();
  const stalled: string[] = [];
  let matched = 0;
  const server = createServer((client) => {
    const engine = connect(engineSocket);
    sockets.add(client).add(engine);
    let hung = false;
    client.on("data", (chunk) => {
      if (hung) return;
      // Requests on one keep-alive connection come one after the other: each starts a chunk.
      const requestLine = chunk.toString("latin1").split("\r\n", 1)[0] ?? "";
      if (stallOn.test(requestLine) && ++matched > skip && stalled.length < limit) {
        hung = true;
        stalled.push(requestLine);
        engine.destroy();
        return;
      }
      engine.write(chunk);
    });
    engine.on("data", (chunk) => {
      if (!hung) client.write(chunk);
    });
    engine.on("end", () => {
      if (!hung) client.end();
    });
    client.on("close", () => engine.destroy());
    client.on("error", () => undefined);
    engine.on("error", () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(socketPath, resolve));
  return {
    socketPath,
    stalled: () => [...stalled],
    async stop() {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
      await rm(dir, { recursive: true, force: true });
    },
  };
}

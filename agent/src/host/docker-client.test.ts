// The deadline wrapper against a real unix socket: an engine that accepts and never answers, one that
// sends its headers and then stalls mid-stream, and one that answers at once.
import { mkdtemp, rm } from "node:fs/promises";
import { createServer, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { isRewindError } from "../../../shared/errors.ts";
import { dockerClient } from "./docker-client.ts";

type Behaviour = (socket: Socket, request: string) => void;

const opened: Array<{ server: Server; dir: string; sockets: Set<Socket> }> = [];

async function engine(behaviour: Behaviour): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), "rewind-engine-"));
  const socketPath = path.join(dir, "docker.sock");
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.once("data", (chunk) => behaviour(socket, chunk.toString("latin1")));
    socket.on("error", () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(socketPath, resolve));
  opened.push({ server, dir, sockets });
  return socketPath;
}

afterEach(async () => {
  for (const { server, dir, sockets } of opened.splice(0)) {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => server.close(resolve));
    await rm(dir, { recursive: true, force: true });
  }
});

const stalled: Behaviour = () => undefined;

describe("a Docker client with deadlines", () => {
  it("fails a call the engine never answers with TIMED_OUT, naming the call and the setting", async () => {
    const socketPath = await engine(stalled);
    const docker = dockerClient({ callSeconds: 1, longCallSeconds: 5 }, { socketPath });
    const started = Date.now();
    const error = await docker.ping().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(Date.now() - started).toBeLessThan(4000);
    expect(isRewindError(error, "TIMED_OUT")).toBe(true);
    expect((error as Error).message).toContain("did not answer GET /_ping within 1 s (docker.timeouts.callSeconds)");
  });

  it("cuts a streamed answer that stalls mid-way with TIMED_OUT", async () => {
    const socketPath = await engine((socket) => {
      socket.write("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n");
      const line = '{"stream":"Step 1/2"}\n';
      socket.write(`${Buffer.byteLength(line).toString(16)}\r\n${line}\r\n`);
    });
    const docker = dockerClient({ callSeconds: 5, longCallSeconds: 1 }, { socketPath });
    const stream = await docker.buildImage({ context: tmpdir(), src: [] }, { t: "never:built" });
    const error = await new Promise((resolve) => docker.modem.followProgress(stream, (e: Error | null) => resolve(e)));
    expect(isRewindError(error, "TIMED_OUT")).toBe(true);
    expect((error as Error).message).toContain("POST /build within 1 s (docker.timeouts.longCallSeconds)");
  });

  it("leaves an answered call alone, and a caller's abort stays an abort", async () => {
    const socketPath = await engine((socket, request) => {
      if (request.startsWith("GET /_ping")) socket.write("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nOK");
    });
    const docker = dockerClient({ callSeconds: 1, longCallSeconds: 1 }, { socketPath });
    expect(String(await docker.ping())).toBe("OK");
    const controller = new AbortController();
    const pending = docker.listContainers({ abortSignal: controller.signal }).then(
      () => undefined,
      (e: unknown) => e,
    );
    controller.abort();
    const error = await pending;
    expect(isRewindError(error)).toBe(false);
    expect((error as Error).name).toBe("AbortError");
  });
});

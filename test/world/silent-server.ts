// A TCP endpoint that accepts connections and never answers, as a stalled S3 endpoint or a
// black-holed connection does: it records each connection's request line ("PUT /bucket/key HTTP/1.1").
import { createServer, type Socket } from "node:net";

export interface SilentServer {
  /** http://127.0.0.1:<port> */
  url: string;
  /** The first line each connection sent, in connection order. */
  requestLines(): string[];
  /** The request lines of connections the client has not closed yet. */
  openRequestLines(): string[];
  stop(): Promise<void>;
}

export async function startSilentServer(): Promise<SilentServer> {
  const sockets = new Set<Socket>();
  const lines: string[] = [];
  const open = new Map<Socket, string>();
  const server = createServer((client) => {
    sockets.add(client);
    client.once("data", (chunk) => {
      const line = chunk.toString("latin1").split("\r\n", 1)[0] ?? "";
      lines.push(line);
      if (sockets.has(client)) open.set(client, line);
    });
    client.on("close", () => {
      sockets.delete(client);
      open.delete(client);
    });
    client.on("error", () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("the silent server has no TCP address");
  return {
    url: `http://127.0.0.1:${address.port}`,
    requestLines: () => [...lines],
    openRequestLines: () => [...open.values()],
    async stop() {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

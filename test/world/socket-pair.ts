// What the test proxies do with each connection they forward: keep the client's socket and its
// upstream in `open` (so a stop or a cut can destroy them) and destroy both once either closes or fails.
import type net from "node:net";

export function tieSockets(open: Set<net.Socket>, client: net.Socket, upstream: net.Socket): void {
  open.add(client);
  open.add(upstream);
  const drop = (): void => {
    client.destroy();
    upstream.destroy();
    open.delete(client);
    open.delete(upstream);
  };
  for (const socket of [client, upstream]) {
    socket.on("close", drop);
    socket.on("error", drop);
  }
}

// A request the control plane refuses before reading its body (a viewer's POST, 403) must not cost
// the client its keep-alive connection: workerd closes a connection whose request body was left
// unread, and a client reusing it at that moment gets ECONNRESET (seen as a rare CI failure). Two
// requests on one raw TCP connection to the real Worker in workerd.
import { connect, type Socket } from "node:net";
import { afterAll, beforeAll, expect, it } from "vitest";
import { type ControlPlaneWorld, startControlPlane } from "../world/control-plane.ts";
import { json } from "./control-plane-client.ts";

let world: ControlPlaneWorld;

beforeAll(async () => {
  world = await startControlPlane();
});

afterAll(async () => {
  await world?.stop();
});

/** Sends `request` on the socket and resolves with the whole response (read up to its Content-Length), or what came before the server closed. */
function exchange(socket: Socket, request: string): Promise<string> {
  return new Promise((resolve) => {
    let received = "";
    const done = () => {
      socket.off("data", onData);
      socket.off("close", done);
      resolve(received);
    };
    const onData = (chunk: Buffer) => {
      received += chunk.toString("latin1");
      const [head = "", body = ""] = received.split("\r\n\r\n");
      const length = Number(/^content-length: *(\d+)/im.exec(head)?.[1] ?? Number.NaN);
      if (received.includes("\r\n\r\n") && body.length >= length) done();
    };
    socket.on("data", onData);
    socket.on("close", done);
    socket.write(request);
  });
}

it("keeps the connection open after refusing a request whose body it did not need", async () => {
  const { token } = await json<{ token: string }>(
    await world.api("/v1/tokens", { method: "POST", body: JSON.stringify({ role: "viewer", label: "keep-alive" }) }),
  );
  const { hostname: host, port } = new URL(world.url);
  const socket = connect({ host, port: Number(port) });
  await new Promise<void>((resolve, reject) => socket.once("connect", resolve).once("error", reject));
  try {
    const body = JSON.stringify({ action: { type: "ping" } });
    const refused = await exchange(
      socket,
      `POST /v1/hosts/nowhere/commands HTTP/1.1\r\nhost: ${host}\r\nauthorization: Bearer ${token}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    );
    expect(refused).toMatch(/^HTTP\/1\.1 403 /);
    const next = await exchange(socket, `GET /health HTTP/1.1\r\nhost: ${host}\r\n\r\n`);
    expect(next).toMatch(/^HTTP\/1\.1 200 /);
  } finally {
    socket.destroy();
  }
});

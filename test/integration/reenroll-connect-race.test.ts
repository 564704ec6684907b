// Issue 14.2, "the old key stops working only then": a connect signed with the old key that the Worker
// verified against D1 just before a re-enrollment replaced the key, and that reaches the host's
// Durable Object just after the re-enrollment closed the host's sockets, used to be accepted, so the
// holder of the replaced key kept a socket (commands, reports) for the host. The late hand-off is
// delivered straight to the real HostChannel object in workerd, as the Worker would have delivered it.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { generateSigningKey, type KeyPairJwk, randomId, signConnectToken } from "../../shared/signing.ts";
import { type ControlPlaneWorld, startControlPlane } from "../world/control-plane.ts";

let world: ControlPlaneWorld;

beforeAll(async () => {
  world = await startControlPlane();
});

afterAll(async () => {
  await world?.stop();
});

async function enroll(host: string, key: KeyPairJwk): Promise<void> {
  const minted = await world.api("/v1/enrollments", { method: "POST", body: JSON.stringify({ host }) });
  expect(minted.status).toBe(201);
  const { token } = (await minted.json()) as { token: string };
  const enrolled = await fetch(`${world.url}/v1/agents/enroll`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ token, host, publicJwk: key.publicJwk, agentVersion: "0.1.0-test" }),
  });
  expect(enrolled.status).toBe(200);
}

/** What the Worker hands the object once it verified a connect token with `key` (agent-connect.ts). */
function lateHandoff(host: string, key: KeyPairJwk): Promise<Response> {
  const facts = {
    host,
    agentVersion: "0.1.0-test",
    key: { kty: key.publicJwk.kty, crv: key.publicJwk.crv, x: key.publicJwk.x },
    jti: randomId(),
    exp: Math.floor(Date.now() / 1000) + 60,
  };
  return world
    .hostChannel(host)
    .then((channel) => channel.fetch(`${world.url}/v1/agents/connect`, { headers: { upgrade: "websocket", "x-rewind-handoff": JSON.stringify(facts) } }));
}

describe("a re-enrollment racing a connect with the old key", () => {
  it("leaves the old key no socket, while the new key connects", async () => {
    const old = await generateSigningKey();
    const replacement = await generateSigningKey();
    await enroll("web-1", old);
    const ws = new WebSocket(`${world.url.replace(/^http/, "ws")}/v1/agents/connect`, {
      headers: { authorization: `Bearer ${await signConnectToken("web-1", "0.1.0-test", old.privateJwk)}` },
    });
    const closed = new Promise<number>((resolve) => ws.on("close", (code) => resolve(code)));
    await new Promise<void>((resolve, reject) => {
      ws.once("open", () => resolve());
      ws.once("error", reject);
    });

    await enroll("web-1", replacement);
    expect(await closed).toBe(4002);

    const late = await lateHandoff("web-1", old);
    expect(late.status).toBe(401);
    expect(((await late.json()) as { error: { code: string } }).error.code).toBe("UNAUTHORIZED");
    const hosts = (await (await world.api("/v1/hosts")).json()) as { hosts: { name: string; status: string }[] };
    expect(hosts.hosts.find((h) => h.name === "web-1")?.status).toBe("offline");

    const fresh = new WebSocket(`${world.url.replace(/^http/, "ws")}/v1/agents/connect`, {
      headers: { authorization: `Bearer ${await signConnectToken("web-1", "0.1.0-test", replacement.privateJwk)}` },
    });
    await new Promise<void>((resolve, reject) => {
      fresh.once("open", () => resolve());
      fresh.once("error", reject);
    });
    fresh.close();
  });
});

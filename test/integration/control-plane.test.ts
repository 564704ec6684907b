// The control plane on real workerd (Miniflare): public endpoints, auth and validation errors,
// enrollment, the agent socket's refusals, and the command queue as a hand-written WebSocket
// client sees it. The full round-trip with a real agent process is the channel test's job.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { minAgentTimeoutSeconds } from "../../control-plane/src/agent-timeout.ts";
import { connectTokenLifetimeSeconds, generateSigningKey, signConnectToken, signReport } from "../../shared/signing.ts";
import { type ControlPlaneWorld, startControlPlane } from "../world/control-plane.ts";
import { controlPlaneClient, expectError, json, until } from "./control-plane-client.ts";

let world: ControlPlaneWorld;

beforeAll(async () => {
  world = await startControlPlane();
});

afterAll(async () => {
  await world?.stop();
});

const { post, createToken, enrollmentToken, enrollRequest, enrolledHost, queue, commandState, TestSocket, connect } = controlPlaneClient(() => world);

describe("public endpoints", () => {
  it("reports health and publishes the signing key without its private part", async () => {
    const health = await fetch(`${world.url}/health`);
    expect(health.status).toBe(200);
    const jwks = await json<{ keys: Record<string, unknown>[] }>(await fetch(`${world.url}/.well-known/jwks.json`));
    expect(jwks.keys).toHaveLength(1);
    expect(jwks.keys[0]).toMatchObject({ kty: "OKP", crv: "Ed25519", kid: world.signingKeys[0]?.kid, alg: "EdDSA" });
    expect(jwks.keys[0]).not.toHaveProperty("d");
  });

  it("answers a broken setting with a 500 naming the field, not a crash", async () => {
    const broken = await startControlPlane({ env: { SIGNING_KEYS: "not json" } });
    try {
      const body = await expectError(await fetch(`${broken.url}/health`), 500, "CONFIG_INVALID");
      expect(body.error.details?.field).toBe("SIGNING_KEYS");
      expect(body.error.message).toContain("SIGNING_KEYS");
    } finally {
      await broken.stop();
    }
  });

  it("refuses an agent timeout a healthy host's heartbeats could miss, naming the field and the least it takes", async () => {
    const short = await startControlPlane({ env: { AGENT_TIMEOUT_SECONDS: "11" } });
    try {
      const body = await expectError(await fetch(`${short.url}/health`), 500, "CONFIG_INVALID");
      expect(body.error.details?.field).toBe("AGENT_TIMEOUT_SECONDS");
      expect(body.error.message).toContain(`AGENT_TIMEOUT_SECONDS: must be at least ${minAgentTimeoutSeconds} s`);
    } finally {
      await short.stop();
    }
  });
});

describe("authentication, roles and validation", () => {
  it("refuses a missing or unknown token with 401", async () => {
    await expectError(await fetch(`${world.url}/v1/hosts`), 401, "UNAUTHORIZED");
    await expectError(await world.api("/v1/hosts", { headers: { authorization: "Bearer nope-not-a-token" } }), 401, "UNAUTHORIZED");
  });

  it("lets a viewer read but not queue commands or mint tokens (403)", async () => {
    const viewer = await createToken("viewer");
    expect((await world.api("/v1/hosts", { headers: { authorization: `Bearer ${viewer}` } })).status).toBe(200);
    await expectError(await post("/v1/hosts/web-1/commands", { action: { type: "ping" } }, viewer), 403, "FORBIDDEN");
    await expectError(await post("/v1/tokens", { role: "operator", label: "escalation" }, viewer), 403, "FORBIDDEN");
  });

  it("stops honouring a revoked token", async () => {
    const created = await json<{ id: string; token: string }>(await post("/v1/tokens", { role: "viewer", label: "short-lived" }));
    const asViewer = { headers: { authorization: `Bearer ${created.token}` } };
    expect((await world.api("/v1/hosts", asViewer)).status).toBe(200);
    expect((await world.api(`/v1/tokens/${created.id}`, { method: "DELETE" })).status).toBe(200);
    await expectError(await world.api("/v1/hosts", asViewer), 401, "UNAUTHORIZED");
    await expectError(await world.api(`/v1/tokens/${created.id}`, { method: "DELETE" }), 404, "NOT_FOUND");
  });

  it("lets an operator create enrollments and an enroll token do nothing else", async () => {
    const operator = await createToken("operator");
    expect((await post("/v1/enrollments", { host: "op-made" }, operator)).status).toBe(201);
    const enroller = await createToken("enroll");
    expect((await post("/v1/enrollments", { host: "ci-made" }, enroller)).status).toBe(201);
    await expectError(await world.api("/v1/hosts", { headers: { authorization: `Bearer ${enroller}` } }), 403, "FORBIDDEN");
  });

  it("names the bad field of an invalid body (400) and refuses an oversized one (413)", async () => {
    const badHost = await expectError(await post("/v1/enrollments", { host: "Not_A_Host" }), 400, "BAD_REQUEST");
    expect(badHost.error.details?.field).toBe("host");
    const badRole = await expectError(await post("/v1/tokens", { role: "admin", label: "x" }), 400, "BAD_REQUEST");
    expect(badRole.error.details?.field).toBe("role");
    // In zod's words (the Worker's schemas are zod/mini, which says only "Invalid input" unless given them).
    const blankLabel = await expectError(await post("/v1/tokens", { role: "viewer", label: "   " }), 400, "BAD_REQUEST");
    expect(blankLabel.error.message).toBe("token request is invalid: label: Too small: expected string to have >=1 characters");
    await expectError(await world.api("/v1/tokens", { method: "POST", body: "{not json" }), 400, "BAD_REQUEST");
    await expectError(await post("/v1/tokens", { role: "viewer", label: "x".repeat(200_000) }), 413, "PAYLOAD_TOO_LARGE");
  });
});

describe("enrollment", () => {
  it("registers the host's key once and pins the control plane's keys", async () => {
    const key = await generateSigningKey();
    const token = await enrollmentToken("enroll-1");
    const first = await enrollRequest(token, "enroll-1", key);
    expect(first.status).toBe(200);
    const body = await json<{ host: string; fingerprint: string; controlPlaneKeys: { keys: { kid: string }[] } }>(first);
    expect(body.host).toBe("enroll-1");
    expect(body.controlPlaneKeys.keys.map((k) => k.kid)).toEqual([world.signingKeys[0]?.kid]);
    const hosts = await json<{ hosts: { name: string; fingerprint: string; status: string }[] }>(await world.api("/v1/hosts"));
    expect(hosts.hosts.find((h) => h.name === "enroll-1")).toMatchObject({ fingerprint: body.fingerprint, status: "offline" });
    const again = await expectError(await enrollRequest(token, "enroll-1", key), 403, "ENROLLMENT_INVALID");
    expect(again.error.message).toContain("already used");
  });

  it("refuses an expired token and a token issued for another host", async () => {
    const key = await generateSigningKey();
    const expired = await enrollmentToken("enroll-2");
    const db = await world.d1();
    await db
      .prepare("UPDATE enrollment_tokens SET expires_at = ? WHERE host = ?")
      .bind(Date.now() - 1000, "enroll-2")
      .run();
    const late = await expectError(await enrollRequest(expired, "enroll-2", key), 403, "ENROLLMENT_INVALID");
    expect(late.error.message).toContain("expired");
    const other = await enrollmentToken("enroll-3");
    await expectError(await enrollRequest(other, "enroll-4", key), 403, "ENROLLMENT_INVALID");
  });

  it("refuses a private key sent by mistake", async () => {
    const key = await generateSigningKey();
    const response = await fetch(`${world.url}/v1/agents/enroll`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ token: await enrollmentToken("enroll-5"), host: "enroll-5", publicJwk: key.privateJwk, agentVersion: "1" }),
    });
    const body = await expectError(response, 400, "BAD_REQUEST");
    expect(body.error.details?.field).toBe("publicJwk.d");
  });
});

describe("agent connections", () => {
  it("refuses unknown hosts, wrong keys, stale and reused tokens before any upgrade", async () => {
    const key = await enrolledHost("conn-1");
    const stranger = await generateSigningKey();
    const unknown = new TestSocket(await signConnectToken("conn-unknown", "1", stranger.privateJwk));
    expect(await unknown.opened).toBe(401);
    const wrongKey = new TestSocket(await signConnectToken("conn-1", "1", stranger.privateJwk));
    expect(await wrongKey.opened).toBe(401);
    const stale = new TestSocket(await signConnectToken("conn-1", "1", key.privateJwk, new Date(Date.now() - 10 * 60_000)));
    expect(await stale.opened).toBe(401);
    const noToken = new TestSocket("");
    expect(await noToken.opened).toBe(401);
    const token = await signConnectToken("conn-1", "1", key.privateJwk);
    // Not in the URL (access logs keep URLs): the query form is refused even with a good token.
    const inUrl = new TestSocket(token, "query");
    expect(await inUrl.opened).toBe(401);
    const first = new TestSocket(token);
    expect(await first.opened).toBe(101);
    const reused = new TestSocket(token);
    expect(await reused.opened).toBe(401);
    await first.close();
  });

  it("refuses a token replayed after its exp while the clock skew still lets it verify", async () => {
    const key = await enrolledHost("conn-5");
    // Signed so that it expires two seconds from now.
    const token = await signConnectToken("conn-5", "1", key.privateJwk, new Date(Date.now() - (connectTokenLifetimeSeconds - 2) * 1000));
    const first = new TestSocket(token);
    expect(await first.opened).toBe(101);
    first.send(JSON.stringify({ t: "heartbeat", ts: Date.now() }));
    await first.close();
    await new Promise((resolve) => setTimeout(resolve, 3500));
    const replay = new TestSocket(token);
    expect(await replay.opened).toBe(401);
  });

  it("shows the host online while connected, and a newer connection replaces the older", async () => {
    const key = await enrolledHost("conn-2");
    const status = async () =>
      (await json<{ hosts: { name: string; status: string }[] }>(await world.api("/v1/hosts"))).hosts.find((h) => h.name === "conn-2")?.status;
    const first = await connect("conn-2", key);
    expect(await status()).toBe("online");
    // As a real agent does. (Local workerd only finishes a server-side close of a hibernated socket
    // that has never sent a frame after a 10 s delay; the close itself still happens.)
    first.send(JSON.stringify({ t: "heartbeat", ts: Date.now() }));
    await until("heartbeat answered", async () => first.frames.some((f) => f.t === "heartbeat"), Boolean);
    const second = await connect("conn-2", key);
    await until(
      "old socket closed",
      async () => first.closed?.code,
      (code) => code !== undefined,
    );
    expect(first.closed?.code).toBe(4000);
    expect(await status()).toBe("online");
    await second.close();
    await until("offline", status, (s) => s === "offline");
  });

  it("drops the old key's socket when the host re-enrolls with a new key", async () => {
    const oldKey = await enrolledHost("conn-4");
    const socket = await connect("conn-4", oldKey);
    socket.send(JSON.stringify({ t: "heartbeat", ts: Date.now() }));
    await until("heartbeat answered", async () => socket.frames.some((f) => f.t === "heartbeat"), Boolean);
    const newKey = await generateSigningKey();
    expect((await enrollRequest(await enrollmentToken("conn-4"), "conn-4", newKey)).status).toBe(200);
    await until(
      "old socket closed",
      async () => socket.closed?.code,
      (code) => code !== undefined,
    );
    expect(socket.closed?.code).toBe(4002);
    expect(await new TestSocket(await signConnectToken("conn-4", "1", oldKey.privateJwk)).opened).toBe(401);
    await (await connect("conn-4", newKey)).close();
  });

  it("answers heartbeats and closes on an oversized frame", async () => {
    const key = await enrolledHost("conn-3");
    const socket = await connect("conn-3", key);
    socket.send(JSON.stringify({ t: "heartbeat", ts: Date.now() }));
    await until("heartbeat", async () => socket.frames.some((f) => f.t === "heartbeat"), Boolean);
    socket.send(JSON.stringify({ t: "heartbeat", ts: Date.now(), pad: "x".repeat(300 * 1024) }));
    await until(
      "close",
      async () => socket.closed?.code,
      (code) => code !== undefined,
    );
    expect(socket.closed?.code).toBe(1009);
  });
});

describe("command queue", () => {
  it("refuses a command for an unknown host or outside the closed set of actions", async () => {
    await expectError(await post("/v1/hosts/nobody/commands", { action: { type: "ping" } }), 404, "NOT_FOUND");
    await enrolledHost("cmd-0");
    const shell = await expectError(await post("/v1/hosts/cmd-0/commands", { action: { type: "shell", run: "rm -rf /" } }), 400, "BAD_REQUEST");
    expect(shell.error.details?.field).toBe("action.type");
  });

  it("keeps a command for an offline host queued, then delivers it on connect until acknowledged", async () => {
    const key = await enrolledHost("cmd-1");
    const id = await queue("cmd-1");
    expect(await commandState(id)).toBe("queued");

    const first = await connect("cmd-1", key);
    await until(
      "delivery",
      async () => first.commands(),
      (ids) => ids.includes(id),
    );
    expect(await commandState(id)).toBe("delivered");
    await first.close();

    // Not acknowledged: the next connection gets it again, once.
    const second = await connect("cmd-1", key);
    await until(
      "redelivery",
      async () => second.commands(),
      (ids) => ids.includes(id),
    );
    await second.report({ kind: "ack", commandId: id }, "cmd-1", key);
    await until(
      "acknowledged",
      () => commandState(id),
      (s) => s === "acknowledged",
    );
    await second.report({ kind: "result", commandId: id, ok: true, output: { pong: true } }, "cmd-1", key);
    await until(
      "succeeded",
      () => commandState(id),
      (s) => s === "succeeded",
    );
    expect(second.commands().filter((c) => c === id)).toHaveLength(1);
    await second.close();

    const third = await connect("cmd-1", key);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(third.commands()).not.toContain(id);
    const view = await json<{ outcome: { ok: boolean }; reports: { kind: string }[] }>(await world.api(`/v1/commands/${id}`));
    expect(view.outcome.ok).toBe(true);
    expect(view.reports.map((r) => r.kind)).toEqual(["ack", "result"]);
    await third.close();
  });

  it("ignores a report not signed by the host's key and a retransmitted one, acknowledging both so the agent stops resending", async () => {
    const key = await enrolledHost("cmd-2");
    const forger = await generateSigningKey();
    const socket = await connect("cmd-2", key);
    const id = await queue("cmd-2");
    await until(
      "delivery",
      async () => socket.commands(),
      (ids) => ids.includes(id),
    );
    await socket.report({ kind: "result", commandId: id, ok: true }, "cmd-2", forger);
    await until(
      "the refused report acknowledged",
      async () => socket.reportAcks(),
      (n) => n === 1,
    );
    const ack = await signReport({ kind: "ack", commandId: id }, "cmd-2", key.privateJwk);
    socket.send(JSON.stringify({ t: "report", jws: ack }));
    await until(
      "acknowledged",
      () => commandState(id),
      (s) => s === "acknowledged",
    );
    socket.send(JSON.stringify({ t: "report", jws: ack }));
    await until(
      "ack and retransmit answered",
      async () => socket.reportAcks(),
      (n) => n === 3,
    );
    const view = await json<{ state: string; reports: unknown[] }>(await world.api(`/v1/commands/${id}`));
    expect(view.state).toBe("acknowledged");
    expect(view.reports).toHaveLength(1);
    await socket.close();
  });

  it("records a rejection reported by the agent", async () => {
    const key = await enrolledHost("cmd-3");
    const socket = await connect("cmd-3", key);
    const id = await queue("cmd-3");
    await until(
      "delivery",
      async () => socket.commands(),
      (ids) => ids.includes(id),
    );
    await socket.report({ kind: "rejected", commandId: id, code: "PRECONDITION_FAILED", reason: "host moved on" }, "cmd-3", key);
    await until(
      "rejected",
      () => commandState(id),
      (s) => s === "rejected",
    );
    await socket.close();
  });

  it("expires a command nobody acknowledged in time", async () => {
    await enrolledHost("cmd-4");
    const id = await queue("cmd-4", { action: { type: "ping" }, ttlSeconds: 5 });
    await until(
      "expired",
      () => commandState(id),
      (s) => s === "expired",
    );
  });

  it("keeps hosts and commands across a control plane restart, dropping live sockets", async () => {
    const key = await enrolledHost("cmd-5");
    const before = await connect("cmd-5", key);
    await before.close();
    const live = await connect("cmd-5", key);
    const id = await queue("cmd-5");
    await until(
      "delivery",
      async () => live.commands(),
      (ids) => ids.includes(id),
    );
    await world.restart();
    await until(
      "socket dropped by the restart",
      async () => live.closed,
      (closed) => closed !== undefined,
    );
    expect(await commandState(id)).toBe("delivered");
    const socket = await connect("cmd-5", key);
    await until(
      "delivery after restart",
      async () => socket.commands(),
      (ids) => ids.includes(id),
    );
    await socket.close();
  });
});

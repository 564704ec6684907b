// Issue 14.2, the attack: an `enroll` token (a machine credential for provisioning) used to mint an
// enrollment for a host that is already enrolled, to replace its key and take its commands. Only a
// new host name may be enrolled with it; a re-enrollment needs an admin, or an operator plus a second
// approver on a host that requires approvals, and the old key keeps working until it completes.
// The control plane in workerd; the agents are hand-driven sockets signing with their own keys.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { generateSigningKey, type KeyPairJwk, signConnectToken } from "../../shared/signing.ts";
import { type ControlPlaneWorld, startControlPlane } from "../world/control-plane.ts";
import { auditLines } from "./rollbacks-helpers.ts";

let world: ControlPlaneWorld;
let enroller: string;
let alice: { id: string; token: string };
let bob: { id: string; token: string };

async function call(path: string, body: unknown, token?: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await world.api(path, {
    method: "POST",
    body: JSON.stringify(body),
    ...(token === undefined ? {} : { headers: { authorization: `Bearer ${token}` } }),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

async function mint(role: string, label: string): Promise<{ id: string; token: string }> {
  const { status, body } = await call("/v1/tokens", { role, label });
  expect(status).toBe(201);
  return body as { id: string; token: string };
}

function enrollAgent(token: string, host: string, key: KeyPairJwk): Promise<Response> {
  return fetch(`${world.url}/v1/agents/enroll`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ token, host, publicJwk: { kty: key.publicJwk.kty, crv: key.publicJwk.crv, x: key.publicJwk.x }, agentVersion: "0.1.0-test" }),
  });
}

async function fingerprintOf(host: string): Promise<string | undefined> {
  const hosts = (await (await world.api("/v1/hosts")).json()) as { hosts: { name: string; fingerprint: string }[] };
  return hosts.hosts.find((h) => h.name === host)?.fingerprint;
}

/** An agent socket: the upgrade's status, and the close code once the control plane drops it. */
async function connect(host: string, key: KeyPairJwk): Promise<{ status: number; closed: () => number | undefined; close(): void }> {
  const ws = new WebSocket(`${world.url.replace(/^http/, "ws")}/v1/agents/connect`, {
    headers: { authorization: `Bearer ${await signConnectToken(host, "0.1.0-test", key.privateJwk)}` },
  });
  let closedWith: number | undefined;
  ws.on("close", (code) => {
    closedWith = code;
  });
  const status = await new Promise<number>((resolve, reject) => {
    ws.on("open", () => resolve(101));
    ws.on("unexpected-response", (_request, response) => resolve(response.statusCode ?? 0));
    ws.on("error", reject);
  });
  // A frame, as a real agent sends: local workerd closes a never-spoken hibernated socket only late.
  if (status === 101) ws.send(JSON.stringify({ t: "heartbeat", ts: Date.now() }));
  return { status, closed: () => closedWith, close: () => ws.close() };
}

async function until(what: string, probe: () => boolean): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

beforeAll(async () => {
  world = await startControlPlane();
  enroller = (await mint("enroll", "provisioning")).token;
  [alice, bob] = await Promise.all([mint("operator", "alice"), mint("operator", "bob")]);
});

afterAll(async () => {
  await world?.stop();
});

describe("an enroll token against an enrolled host", () => {
  it("enrolls a new host name, but cannot mint an enrollment for it once enrolled (403, audited)", async () => {
    const real = await generateSigningKey();
    const created = await call("/v1/enrollments", { host: "victim-1" }, enroller);
    expect(created.status).toBe(201);
    expect((await enrollAgent(String(created.body.token), "victim-1", real)).status).toBe(200);
    const fingerprint = await fingerprintOf("victim-1");
    const agent = await connect("victim-1", real);
    expect(agent.status).toBe(101);

    const takeover = await call("/v1/enrollments", { host: "victim-1" }, enroller);

    expect(takeover.status).toBe(403);
    expect(takeover.body).toMatchObject({ error: { code: "FORBIDDEN" } });
    expect(String((takeover.body.error as { message: string }).message)).toContain("host victim-1 is already enrolled");
    const refusal = (await auditLines(world)).find((e) => e.action === "enrollment.refused" && e.subject === "host:victim-1");
    expect(refusal?.actor).toMatchObject({ kind: "token", role: "enroll" });
    // The real agent was never locked out: same key, still connected, and it can connect again.
    expect(await fingerprintOf("victim-1")).toBe(fingerprint);
    expect(agent.closed()).toBeUndefined();
    const again = await connect("victim-1", real);
    expect(again.status).toBe(101);
    again.close();
    agent.close();
  });

  it("a token minted while the name was free cannot replace the key of whoever enrolled it first", async () => {
    const early = await call("/v1/enrollments", { host: "victim-2" }, enroller);
    const other = await call("/v1/enrollments", { host: "victim-2" }, enroller);
    const real = await generateSigningKey();
    expect((await enrollAgent(String(other.body.token), "victim-2", real)).status).toBe(200);
    const fingerprint = await fingerprintOf("victim-2");

    const attacker = await generateSigningKey();
    const response = await enrollAgent(String(early.body.token), "victim-2", attacker);

    expect(response.status).toBe(403);
    const body = (await response.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe("ENROLLMENT_INVALID");
    expect(body.error.message).toContain("may only enroll a new host");
    expect(await fingerprintOf("victim-2")).toBe(fingerprint);
    expect((await connect("victim-2", attacker)).status).toBe(401);
  });

  it("an operator alone cannot re-enroll a host that does not require approvals", async () => {
    await enrollAgent(String((await call("/v1/enrollments", { host: "victim-3" }, enroller)).body.token), "victim-3", await generateSigningKey());
    const asOperator = await call("/v1/enrollments", { host: "victim-3" }, alice.token);
    expect(asOperator.status).toBe(403);
    expect(String((asOperator.body.error as { message: string }).message)).toContain("needs an admin token");
  });
});

describe("a legitimate re-enrollment", () => {
  it("by an operator on a host requiring approvals: works only after a second operator approved, and only then drops the old key", async () => {
    const oldKey = await generateSigningKey();
    await enrollAgent(String((await call("/v1/enrollments", { host: "web-9" }, enroller)).body.token), "web-9", oldKey);
    expect((await world.api("/v1/hosts/web-9/settings", { method: "PUT", body: JSON.stringify({ requireApproval: true }) })).status).toBe(200);
    const agent = await connect("web-9", oldKey);
    expect(agent.status).toBe(101);
    const newKey = await generateSigningKey();

    const requested = await call("/v1/enrollments", { host: "web-9" }, alice.token);
    expect(requested.status).toBe(201);
    expect(requested.body).toMatchObject({ reenroll: true, pendingApproval: true });
    const early = await enrollAgent(String(requested.body.token), "web-9", newKey);
    expect(early.status).toBe(403);
    expect(((await early.json()) as { error: { message: string } }).error.message).toContain("awaits a second operator's approval");
    const selfApproval = await call(`/v1/enrollments/${requested.body.id}/approve`, {}, alice.token);
    expect(selfApproval.status).toBe(403);
    expect(agent.closed()).toBeUndefined();
    expect((await connect("web-9", newKey)).status).toBe(401);

    const approved = await call(`/v1/enrollments/${requested.body.id}/approve`, {}, bob.token);
    expect(approved.status).toBe(200);
    expect(agent.closed()).toBeUndefined();
    expect((await enrollAgent(String(requested.body.token), "web-9", newKey)).status).toBe(200);

    await until("the old key's socket to be dropped", () => agent.closed() !== undefined);
    expect(agent.closed()).toBe(4002);
    expect((await connect("web-9", oldKey)).status).toBe(401);
    const fresh = await connect("web-9", newKey);
    expect(fresh.status).toBe(101);
    fresh.close();
    const completed = (await auditLines(world)).filter((e) => e.action === "enrollment.completed" && e.subject === "host:web-9").at(-1);
    expect(completed?.details).toMatchObject({ reenrolled: true, authorizedBy: alice.id, approvedBy: bob.id });
    expect((await auditLines(world)).some((e) => e.action === "enrollment.approved" && e.actor.tokenId === bob.id)).toBe(true);
  });

  it("by an admin: at once, audited as a re-enrollment", async () => {
    await enrollAgent(String((await call("/v1/enrollments", { host: "web-10" }, enroller)).body.token), "web-10", await generateSigningKey());
    const created = await call("/v1/enrollments", { host: "web-10" });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ reenroll: true });
    expect((await enrollAgent(String(created.body.token), "web-10", await generateSigningKey())).status).toBe(200);
    const completed = (await auditLines(world)).filter((e) => e.action === "enrollment.completed" && e.subject === "host:web-10").at(-1);
    expect(completed?.details).toMatchObject({ reenrolled: true, authorizedBy: "admin" });
  });
});

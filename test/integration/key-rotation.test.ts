// Issue 14.5, key rotation without locking agents out: the control plane publishes a new signing key
// (`rewind keygen --rotate`), hands it to each agent in a key-update command signed with a key the
// agent already pins, and signs with it only once every online agent pinned it. An agent offline
// during the rotation keeps getting commands signed with the old key until it pins the new one.
// Control plane in workerd, real agent processes enrolled with `rewind agent enroll`.
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { generateSigningKey, type PrivateJwk } from "../../shared/signing.ts";
import { type AgentProcess, spawnAgent } from "../world/agent.ts";
import { type ControlPlaneWorld, startControlPlane } from "../world/control-plane.ts";
import { runRewindCli } from "../world/rewind-cli.ts";
import { auditLines, waitUntil } from "./rollbacks-helpers.ts";

interface KeyStatus {
  kid: string;
  active: boolean;
  promoted: boolean;
  pendingOnline: string[];
  pendingOffline: string[];
}

let world: ControlPlaneWorld;
let dir: string;
const agents = new Map<string, AgentProcess>();
const configs = new Map<string, string>();
let newKey: PrivateJwk;

async function json<T>(response: Response): Promise<T> {
  const text = await response.text();
  if (!response.ok) throw new Error(`HTTP ${response.status}: ${text}`);
  return JSON.parse(text) as T;
}

async function enroll(host: string): Promise<void> {
  const { token } = await json<{ token: string }>(await world.api("/v1/enrollments", { method: "POST", body: JSON.stringify({ host }) }));
  const config = path.join(dir, `${host}.json`);
  const args = [
    "agent",
    "enroll",
    "--url",
    world.url,
    "--token",
    token,
    "--host",
    host,
    "--config",
    config,
    "--project-dir",
    dir,
    "--project",
    `rewind-test-${host}`,
  ];
  const enrolled = await runRewindCli(args);
  if (enrolled.code !== 0) throw new Error(`enroll ${host}: ${enrolled.stderr}`);
  configs.set(host, config);
}

async function status(host: string): Promise<string | undefined> {
  const body = await json<{ hosts: { name: string; status: string }[] }>(await world.api("/v1/hosts"));
  return body.hosts.find((h) => h.name === host)?.status;
}

async function start(host: string): Promise<void> {
  const agent = spawnAgent(configs.get(host) ?? "");
  agents.set(host, agent);
  await waitUntil(async () => ((await status(host)) === "online" ? true : undefined), `${host} online`, 30_000, agent);
}

async function stop(host: string): Promise<void> {
  await agents.get(host)?.stop();
  agents.delete(host);
  await waitUntil(async () => ((await status(host)) === "offline" ? true : undefined), `${host} offline`);
}

async function queuePing(host: string): Promise<string> {
  const response = await world.api(`/v1/hosts/${host}/commands`, { method: "POST", body: JSON.stringify({ action: { type: "ping" } }) });
  return (await json<{ commandId: string }>(response)).commandId;
}

async function finished(id: string): Promise<{ state: string; outcome: { code?: string; message?: string } | null }> {
  return waitUntil(async () => {
    const view = await json<{ state: string; outcome: { code?: string; message?: string } | null }>(await world.api(`/v1/commands/${id}`));
    return ["succeeded", "failed", "rejected", "expired"].includes(view.state) ? view : undefined;
  }, `command ${id} to finish`);
}

async function keys(): Promise<KeyStatus[]> {
  return (await json<{ keys: KeyStatus[] }>(await world.api("/v1/signing-keys"))).keys;
}

async function pinnedKids(host: string): Promise<string[]> {
  const config = JSON.parse(await readFile(configs.get(host) ?? "", "utf8")) as { controlPlane: { keys: { kid: string }[] } };
  return config.controlPlane.keys.map((key) => key.kid);
}

beforeAll(async () => {
  world = await startControlPlane();
  dir = await mkdtemp(path.join(tmpdir(), "rewind-rotation-"));
  newKey = (await generateSigningKey("cp-next")).privateJwk;
  await enroll("rot-online");
  await enroll("rot-offline");
  await start("rot-online");
  await start("rot-offline");
  await stop("rot-offline");
});

afterAll(async () => {
  for (const agent of agents.values()) await agent.stop();
  await world?.stop();
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
});

it("hands the new key to the online agent first, and signs with it only once that agent pinned it", async () => {
  const oldKid = world.signingKeys[0]?.kid ?? "";
  await world.restart({ SIGNING_KEYS: JSON.stringify([newKey, ...world.signingKeys]) });

  const promoted = await waitUntil(
    async () => ((await keys()).find((k) => k.kid === "cp-next" && k.active) ? true : undefined),
    "the new key to be promoted",
    60_000,
    agents.get("rot-online"),
  );
  expect(promoted).toBe(true);
  expect(await pinnedKids("rot-online")).toEqual([oldKid, "cp-next"]);
  expect((await keys()).find((k) => k.kid === "cp-next")).toMatchObject({ pendingOnline: [], pendingOffline: ["rot-offline"] });
  // The order in the log: the agent's signed answer to the key-update, then the promotion.
  const entries = await auditLines(world);
  const update = entries.find(
    (e) => e.action === "command.queued" && (e.details.action as { type?: string }).type === "key-update" && e.details.host === "rot-online",
  );
  const answer = entries.find((e) => e.action === "agent.report" && e.subject === update?.subject && e.details.kind === "result");
  const promotion = entries.find((e) => e.action === "signing-key.promoted" && e.subject === "signing-key:cp-next");
  expect(answer).toBeDefined();
  expect(promotion?.seq).toBeGreaterThan(answer?.seq ?? Number.POSITIVE_INFINITY);
  expect(promotion?.details).toMatchObject({ forced: false, pendingOffline: ["rot-offline"] });

  expect(await finished(await queuePing("rot-online"))).toMatchObject({ state: "succeeded" });
});

it("an agent offline during the rotation still runs commands (old key) and pins the new key when it returns", async () => {
  const queued = await queuePing("rot-offline");
  await start("rot-offline");

  expect(await finished(queued)).toMatchObject({ state: "succeeded" });
  await waitUntil(async () => ((await pinnedKids("rot-offline")).includes("cp-next") ? true : undefined), "rot-offline to pin the new key");
  await waitUntil(
    async () => ((await keys()).find((k) => k.kid === "cp-next")?.pendingOffline.length === 0 ? true : undefined),
    "the control plane to record it",
  );
});

it("refuses a key-update queued through the API: no token can hand agents a key of its choosing", async () => {
  const attacker = (await generateSigningKey("cp-evil")).publicJwk;
  const response = await world.api("/v1/hosts/rot-online/commands", {
    method: "POST",
    body: JSON.stringify({ action: { type: "key-update", keys: [{ kty: "OKP", crv: "Ed25519", x: attacker.x, kid: "cp-evil" }] } }),
  });
  expect(response.status).toBe(400);
  expect(((await response.json()) as { error: { message: string } }).error.message).toContain("not as a raw command");
  expect(await pinnedKids("rot-online")).not.toContain("cp-evil");
});

it("after the old key is dropped, both agents accept commands signed with the new key alone", async () => {
  await world.restart({ SIGNING_KEYS: JSON.stringify([newKey]) });
  for (const host of ["rot-online", "rot-offline"]) {
    await waitUntil(async () => ((await status(host)) === "online" ? true : undefined), `${host} back online`, 60_000, agents.get(host));
    expect(await finished(await queuePing(host))).toMatchObject({ state: "succeeded" });
  }
});

// Issue 16.4: the Durable Objects' SQLite tables come from drizzle migrations now. Objects deployed
// before made the same tables in their constructors and have no migrations journal; after the
// upgrade they must keep their rows and keep serving. While workerd is stopped, the test turns each
// object's SQLite file back into that old form (the old constructors' DDL, no __drizzle_migrations),
// then restarts on it: a command queued before is still delivered, refusals are still counted.
import { execFile } from "node:child_process";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateSigningKey } from "../../shared/signing.ts";
import { type AgentProcess, spawnAgent } from "../world/agent.ts";
import { type ControlPlaneWorld, startControlPlane } from "../world/control-plane.ts";
import { runRewindCli } from "../world/rewind-cli.ts";

const host = "upgrade-host";
const run = promisify(execFile);

/** The tables as the constructors before migrations made them, copied from that code. */
const oldTables: Record<string, string[]> = {
  meta: ["CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)"],
  commands: [
    `CREATE TABLE commands (
      id TEXT PRIMARY KEY, jws TEXT NOT NULL, state TEXT NOT NULL, created_at INTEGER NOT NULL,
      expires_at INTEGER NOT NULL, updated_at INTEGER NOT NULL, delivered_at INTEGER,
      deliveries INTEGER NOT NULL DEFAULT 0, acknowledged_at INTEGER, finished_at INTEGER, outcome TEXT)`,
    "CREATE INDEX commands_state ON commands (state, expires_at)",
  ],
  seen_reports: ["CREATE TABLE seen_reports (id TEXT PRIMARY KEY, received_at INTEGER NOT NULL)"],
  connect_tokens: ["CREATE TABLE connect_tokens (jti TEXT PRIMARY KEY, expires_at INTEGER NOT NULL)"],
  rollbacks: [
    `CREATE TABLE rollbacks (
      id TEXT PRIMARY KEY, state TEXT NOT NULL, command_id TEXT, expires_at INTEGER, created_at INTEGER NOT NULL, record TEXT NOT NULL)`,
    "CREATE INDEX rollbacks_state ON rollbacks (state)",
    "CREATE INDEX rollbacks_command ON rollbacks (command_id)",
  ],
  budgets: [
    `CREATE TABLE budgets (
      minute INTEGER NOT NULL, key TEXT NOT NULL, used INTEGER NOT NULL, denied INTEGER NOT NULL, PRIMARY KEY (minute, key))`,
  ],
  refusals: [
    `CREATE TABLE refusals (
      minute INTEGER NOT NULL, action TEXT NOT NULL, address TEXT NOT NULL, host TEXT NOT NULL, count INTEGER NOT NULL,
      PRIMARY KEY (minute, action, address, host))`,
  ],
};

let world: ControlPlaneWorld;
let dir: string;
let agent: AgentProcess | undefined;

async function sqlite(file: string, statements: string): Promise<string> {
  return (await run("sqlite3", [file, statements])).stdout;
}

/** One file per object, named by its id (each class's metadata.sqlite holds only alarms). */
async function objectFiles(durableObjectsDir: string): Promise<string[]> {
  const entries = await readdir(durableObjectsDir, { recursive: true });
  return entries.filter((name) => /(^|\/)[0-9a-f]{64}\.sqlite$/.test(name)).map((name) => path.join(durableObjectsDir, name));
}

async function tablesOf(file: string): Promise<string[]> {
  return (await sqlite(file, "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")).split("\n").filter((name) => name !== "");
}

/** Rewrites one object's file as the old code left it: same rows, old DDL, no migrations journal. */
async function toOldForm(file: string): Promise<string[]> {
  const tables = (await tablesOf(file)).filter((name) => name in oldTables);
  const script = tables.flatMap((name) => [
    `ALTER TABLE ${name} RENAME TO ${name}_new`,
    ...(oldTables[name] ?? []).slice(0, 1),
    `INSERT INTO ${name} SELECT * FROM ${name}_new`,
    `DROP TABLE ${name}_new`,
    ...(oldTables[name] ?? []).slice(1),
  ]);
  await sqlite(file, `BEGIN; ${[...script, "DROP TABLE __drizzle_migrations"].join(";\n")}; COMMIT;`);
  return tables;
}

async function json<T>(response: Response): Promise<T> {
  const text = await response.text();
  if (!response.ok) throw new Error(`HTTP ${response.status}: ${text}`);
  return JSON.parse(text) as T;
}

async function queuePing(): Promise<string> {
  const response = await world.api(`/v1/hosts/${host}/commands`, { method: "POST", body: JSON.stringify({ action: { type: "ping" } }) });
  return (await json<{ commandId: string }>(response)).commandId;
}

async function waitFor<T>(probe: () => Promise<T | undefined>, what: string, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function commandIn(id: string, state: string): Promise<{ reports: { kind: string }[] }> {
  return waitFor(async () => {
    const view = await json<{ state: string; reports: { kind: string }[] }>(await world.api(`/v1/commands/${id}`));
    return view.state === state ? view : undefined;
  }, `command ${id} to be ${state}`);
}

async function hostStatus(): Promise<string | undefined> {
  const body = await json<{ hosts: { name: string; status: string }[] }>(await world.api("/v1/hosts"));
  return body.hosts.find((entry) => entry.name === host)?.status;
}

/** An enrollment with a made-up token: refused, and counted in the AuditLog object's refusals table. */
async function junkEnrollment(): Promise<{ status: number; code: string }> {
  const key = await generateSigningKey();
  const response = await fetch(`${world.url}/v1/agents/enroll`, {
    method: "POST",
    headers: { "content-type": "application/json", "cf-connecting-ip": "203.0.113.9" },
    body: JSON.stringify({
      token: "rwe_not-a-real-token",
      host: "nobody",
      publicJwk: { kty: "OKP", crv: "Ed25519", x: key.publicJwk.x },
      agentVersion: "0.1.0-test",
    }),
  });
  return { status: response.status, code: ((await response.json()) as { error: { code: string } }).error.code };
}

beforeAll(async () => {
  world = await startControlPlane();
  dir = await mkdtemp(path.join(tmpdir(), "rewind-do-upgrade-"));
});

afterAll(async () => {
  await agent?.stop();
  await world?.stop();
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
});

describe("Durable Objects made before migrations", () => {
  it("keep their rows and serve after the upgrade", async () => {
    const configPath = path.join(dir, "agent.json");
    const { token } = await json<{ token: string }>(await world.api("/v1/enrollments", { method: "POST", body: JSON.stringify({ host }) }));
    const enrolled = await runRewindCli(["agent", "enroll", "--url", world.url, "--token", token, "--host", host, "--config", configPath]);
    expect(enrolled.code).toBe(0);
    agent = spawnAgent(configPath);
    await commandIn(await queuePing(), "succeeded");
    expect(await agent.stop()).toBe(0);
    await waitFor(async () => ((await hostStatus()) === "offline" ? true : undefined), "the host to be offline");
    const queued = await queuePing();
    const refused = await junkEnrollment();
    expect(refused).toEqual({ status: 403, code: "ENROLLMENT_INVALID" });

    const rewritten: string[][] = [];
    await world.restart(undefined, async (durableObjectsDir) => {
      for (const file of await objectFiles(durableObjectsDir)) {
        expect(await tablesOf(file)).toContain("__drizzle_migrations");
        rewritten.push(await toOldForm(file));
      }
    });
    // Both objects were rewritten: the host's channel (with its rollbacks) and the audit log.
    expect(rewritten.map((tables) => tables.sort())).toEqual(
      expect.arrayContaining([
        ["commands", "connect_tokens", "meta", "rollbacks", "seen_reports"],
        ["budgets", "refusals"],
      ]),
    );

    expect(await junkEnrollment()).toEqual(refused);
    agent = spawnAgent(configPath);
    const view = await commandIn(queued, "succeeded");
    expect(view.reports.map((report) => report.kind)).toEqual(["ack", "result"]);
    expect(await agent.stop()).toBe(0);

    // The upgraded objects recorded the first migration, so it does not run again.
    await world.restart(undefined, async (durableObjectsDir) => {
      for (const file of await objectFiles(durableObjectsDir)) {
        expect(await sqlite(file, "SELECT count(*) FROM __drizzle_migrations")).toBe("1\n");
      }
    });
  });
});

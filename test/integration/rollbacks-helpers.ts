// Shared by the integration tests against a control plane in workerd: the rollback scenario's host
// enrolled with the real CLI and its real agent process, operator tokens, the audit log, and a way to
// run the operator CLI as a separate process and read its exit code and output.
import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { expect } from "vitest";
import { type AgentProcess, spawnAgent } from "../world/agent.ts";
import type { ControlPlaneWorld } from "../world/control-plane.ts";
import type { PgCluster } from "../world/postgres.ts";
import { type CliResult, runRewindCli } from "../world/rewind-cli.ts";
import type { S3World } from "../world/s3.ts";
import type { Scenario } from "./rollback-fixture.ts";

const repoRoot = path.resolve(import.meta.dirname, "../..");

/** Runs `rewind ...args` with REWIND_URL / REWIND_TOKEN set (HOME elsewhere, so no stray cli.json). */
export function rewindCli(world: ControlPlaneWorld, token: string, args: string[]): Promise<CliResult> {
  const env = { ...process.env, REWIND_URL: world.url, REWIND_TOKEN: token, HOME: path.join(repoRoot, "nonexistent-home") };
  return runRewindCli(args, { env });
}

export async function apiJson<T = Record<string, unknown>>(
  world: ControlPlaneWorld,
  apiPath: string,
  init: RequestInit & { token?: string } = {},
): Promise<{ status: number; body: T }> {
  const { token, ...rest } = init;
  const headers = new Headers(rest.headers);
  if (token !== undefined) headers.set("authorization", `Bearer ${token}`);
  const response = await world.api(apiPath, { ...rest, headers });
  return { status: response.status, body: (await response.json()) as T };
}

export async function mintToken(world: ControlPlaneWorld, role: string, label: string): Promise<{ id: string; token: string }> {
  const { status, body } = await apiJson<{ id: string; token: string }>(world, "/v1/tokens", {
    method: "POST",
    body: JSON.stringify({ role, label }),
  });
  if (status !== 201) throw new Error(`minting a ${role} token answered ${status}: ${JSON.stringify(body)}`);
  return body;
}

/** Enrolls `host` with `rewind agent enroll`, which writes the key and control plane into `configFile`. */
export async function enrollWithCli(world: ControlPlaneWorld, host: string, configFile: string): Promise<void> {
  const { status, body } = await apiJson<{ token: string }>(world, "/v1/enrollments", { method: "POST", body: JSON.stringify({ host }) });
  if (status !== 201) throw new Error(`enrollment token answered ${status}: ${JSON.stringify(body)}`);
  const enrolled = await runRewindCli(["agent", "enroll", "--url", world.url, "--token", body.token, "--host", host, "--config", configFile]);
  if (enrolled.code !== 0) throw new Error(`rewind agent enroll exited ${enrolled.code}: ${enrolled.stderr}`);
  // JSON log lines, so tests can read what the agent did (AgentProcess.entries()).
  const raw = JSON.parse(await readFile(configFile, "utf8")) as Record<string, unknown>;
  await writeFile(configFile, JSON.stringify({ ...raw, log: { format: "json" } }, null, 2));
}

export async function waitUntil<T>(probe: () => Promise<T | undefined>, what: string, timeoutMs = 60_000, agent?: AgentProcess): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) {
      const log = agent === undefined ? "" : `\nagent log:\n${agent.logs().slice(-30).join("\n")}`;
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${log}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

export async function hostEntry(world: ControlPlaneWorld, host: string): Promise<Record<string, unknown> | undefined> {
  const { body } = await apiJson<{ hosts: Record<string, unknown>[] }>(world, "/v1/hosts");
  return body.hosts.find((entry) => entry.name === host);
}

/** Waits until the control plane lists `host` online or offline, or knows its newest backup (what a rollback needs). */
export function hostReady(world: ControlPlaneWorld, host: string, ready: "online" | "offline" | "backup", agent?: AgentProcess): Promise<true> {
  const probe = async (): Promise<true | undefined> => {
    const entry = await hostEntry(world, host);
    return (ready === "backup" ? Boolean(entry?.newestBackup) : entry?.status === ready) ? true : undefined;
  };
  return waitUntil(probe, ready === "backup" ? `host ${host}'s backup to be announced` : `host ${host} ${ready}`, 60_000, agent);
}

/** The scenario's host enrolled with the CLI and its real agent running, once the host is `ready`. */
export async function enrolledAgent(world: ControlPlaneWorld, scenario: Scenario, ready: "online" | "backup"): Promise<AgentProcess> {
  await enrollWithCli(world, scenario.config.host, scenario.configFile);
  const agent = spawnAgent(scenario.configFile);
  try {
    await hostReady(world, scenario.config.host, ready, agent);
  } catch (error) {
    await agent.stop();
    throw error;
  }
  return agent;
}

/** A scenario test's teardown: stops what it started (each only if it did), the agent first and PostgreSQL last. */
export async function stopScenarioWorld(parts: {
  agent?: AgentProcess | undefined;
  world?: ControlPlaneWorld | undefined;
  scenario?: Scenario | undefined;
  s3?: S3World | undefined;
  cluster?: PgCluster | undefined;
}): Promise<void> {
  await parts.agent?.stop();
  await parts.world?.stop();
  await parts.scenario?.cleanup();
  await parts.s3?.stop();
  await parts.cluster?.stop();
}

/** The audit log says the control plane (no person) found the rollback lost, and a rollback.lost notification went out. */
export function expectLostAudited(entries: AuditLine[], rollbackId: string): void {
  expect(entries).toContainEqual(
    expect.objectContaining({
      action: "rollback.state-changed",
      subject: `rollback:${rollbackId}`,
      actor: { kind: "system" },
      details: expect.objectContaining({ from: "running", to: "lost" }),
    }),
  );
  expect(entries.some((e) => e.action.startsWith("notification.") && e.subject === `rollback:${rollbackId}` && e.details.event === "rollback.lost")).toBe(true);
}

/** Requests a rollback of `host` as `token`'s operator (confirmed with the host's name); expects 202 and returns its id. */
export async function requestRollback(
  world: ControlPlaneWorld,
  token: string,
  host: string,
  reason: string,
  extra: Record<string, unknown> = {},
): Promise<string> {
  const { status, body } = await apiJson<{ rollbackId: string }>(world, "/v1/rollbacks", {
    method: "POST",
    token,
    body: JSON.stringify({ host, reason, confirm: host, ...extra }),
  });
  expect(status).toBe(202);
  return body.rollbackId;
}

/** Polls the rollback's detail until `test` holds and returns that detail; `what` names the wait in the timeout's error. */
export function untilRollback<D extends { state: string }>(
  world: ControlPlaneWorld,
  rollbackId: string,
  what: string,
  test: (detail: D) => boolean,
  timeoutMs: number,
  agent?: AgentProcess,
): Promise<D> {
  return waitUntil(
    async () => {
      const { body } = await apiJson<D>(world, `/v1/rollbacks/${rollbackId}`);
      return test(body) ? body : undefined;
    },
    `rollback ${rollbackId} ${what}`,
    timeoutMs,
    agent,
  );
}

/** One audit entry as `GET /v1/audit` lists it, with the fields the tests read. */
export interface AuditLine {
  seq: number;
  action: string;
  subject: string;
  actor: { kind: string; tokenId?: string };
  details: Record<string, unknown>;
}

/** The whole audit log as the admin token reads it: one JSON entry a line. */
export async function auditLines<T = AuditLine>(world: ControlPlaneWorld): Promise<T[]> {
  const text = await (await world.api("/v1/audit?limit=10000")).text();
  return text
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => JSON.parse(line) as T);
}

import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AgentProcess, listeningSockets, spawnAgent } from "../world/agent.ts";
import { type ControlPlaneWorld, startControlPlane } from "../world/control-plane.ts";
import { type CliResult, runRewindCli } from "../world/rewind-cli.ts";

const host = "channel-host";

let world: ControlPlaneWorld;
let dir: string;
let configPath: string;
let agent: AgentProcess | undefined;

interface CommandView {
  state: string;
  outcome: { ok?: boolean; output?: Record<string, unknown>; code?: string } | null;
  reports: { kind: string }[];
}

async function json<T>(response: Response): Promise<T> {
  const text = await response.text();
  if (!response.ok) throw new Error(`HTTP ${response.status}: ${text}`);
  return JSON.parse(text) as T;
}

async function enrollmentToken(): Promise<string> {
  const body = await json<{ token: string }>(await world.api("/v1/enrollments", { method: "POST", body: JSON.stringify({ host }) }));
  return body.token;
}

function enroll(token: string): Promise<CliResult> {
  const args = ["agent", "enroll", "--url", world.url, "--token", token, "--host", host, "--config", configPath];
  return runRewindCli([...args, "--project-dir", dir, "--project", `rewind-test-${host}`]);
}

async function queuePing(): Promise<string> {
  const response = await world.api(`/v1/hosts/${host}/commands`, { method: "POST", body: JSON.stringify({ action: { type: "ping" } }) });
  expect(response.status).toBe(202);
  return (await json<{ commandId: string }>(response)).commandId;
}

async function command(id: string): Promise<CommandView> {
  return json<CommandView>(await world.api(`/v1/commands/${id}`));
}

async function waitForState(id: string, state: string, timeoutMs = 30_000): Promise<CommandView> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const view = await command(id);
    if (view.state === state) return view;
    if (Date.now() > deadline) throw new Error(`command ${id} is ${view.state}, not ${state}, after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function hostView(): Promise<{ status: string; agentVersion: string } | undefined> {
  const body = await json<{ hosts: { name: string; status: string; agentVersion: string }[] }>(await world.api("/v1/hosts"));
  return body.hosts.find((h) => h.name === host);
}

async function waitForHost(status: "online" | "offline", timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while ((await hostView())?.status !== status) {
    if (Date.now() > deadline) throw new Error(`host never became ${status}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

function connectedCount(a: AgentProcess): number {
  return a.entries().filter((e) => e.msg === "connected to control plane").length;
}

beforeAll(async () => {
  world = await startControlPlane();
  dir = await mkdtemp(path.join(tmpdir(), "rewind-channel-"));
  configPath = path.join(dir, "agent.json");
});

afterAll(async () => {
  await agent?.stop();
  await world?.stop();
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
});

describe("signed command channel (real workerd + real agent processes)", () => {
  it("enrolls with a one-time token, pins the control plane key and writes a private config", async () => {
    const token = await enrollmentToken();
    const result = await enroll(token);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^agent key fingerprint: +[A-Za-z0-9_-]{43}$/m);
    expect(result.stdout).toMatch(/^pinned control plane key: +[A-Za-z0-9_-]{43} \(kid cp-/m);
    expect((await stat(configPath)).mode & 0o777).toBe(0o600);
    const config = JSON.parse(await readFile(configPath, "utf8")) as { controlPlane: { keys: { kid?: string; d?: string }[] } };
    expect(config.controlPlane.keys.map((k) => k.kid)).toEqual(world.signingKeys.map((k) => k.kid));
    expect(config.controlPlane.keys.every((k) => k.d === undefined)).toBe(true);

    const again = await enroll(token);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/ENROLLMENT_INVALID: .*already used/);
  });

  it("round-trips a ping: operator → control plane → agent → back, shown as succeeded", async () => {
    agent = spawnAgent(configPath);
    await agent.waitForLog((e) => e.msg === "connected to control plane");
    await waitForHost("online");
    expect((await hostView())?.agentVersion).toBe("0.1.0");
    const id = await queuePing();
    const view = await waitForState(id, "succeeded");
    expect(view.outcome).toMatchObject({ ok: true, output: { pong: expect.any(String) } });
    expect(view.reports.map((r) => r.kind)).toEqual(["ack", "result"]);
  });

  it("refuses a command decided on a state the host no longer has; the refusal shows in its state", async () => {
    const response = await world.api(`/v1/hosts/${host}/commands`, {
      method: "POST",
      body: JSON.stringify({ action: { type: "ping" }, preconditions: { commit: "0123456789abcdef0123456789abcdef01234567" } }),
    });
    const { commandId } = await json<{ commandId: string }>(response);
    const view = await waitForState(commandId, "rejected");
    expect(view.outcome).toMatchObject({ kind: "rejected", code: "PRECONDITION_FAILED" });
    expect(view.reports.map((r) => r.kind)).toEqual(["rejected"]);
    await agent?.waitForLog((e) => e.msg === "command rejected, not executed" && e.commandId === commandId);
  });

  it("opens no listening socket", async () => {
    if (agent === undefined) throw new Error("agent not running");
    expect(await listeningSockets(agent.pid)).toEqual([]);
  });

  it("delivers a command queued while the agent was down exactly once when it comes back", async () => {
    if (agent === undefined) throw new Error("agent not running");
    expect(await agent.stop()).toBe(0);
    await waitForHost("offline");
    const id = await queuePing();
    expect((await command(id)).state).toBe("queued");

    agent = spawnAgent(configPath);
    const view = await waitForState(id, "succeeded");
    expect(view.reports.map((r) => r.kind)).toEqual(["ack", "result"]);
    const accepted = agent.entries().filter((e) => e.msg === "command accepted" && e.commandId === id);
    expect(accepted).toHaveLength(1);
  });

  it("reconnects by itself when the control plane restarts mid-connection", async () => {
    if (agent === undefined) throw new Error("agent not running");
    const running = agent;
    await running.waitForLog((e) => e.msg === "connected to control plane");
    const before = connectedCount(running);
    await world.restart();
    await running.waitForLog((e) => e.msg === "disconnected from control plane");
    await running.waitForLog(() => connectedCount(running) > before, 30_000);
    const id = await queuePing();
    await waitForState(id, "succeeded");
  });
});

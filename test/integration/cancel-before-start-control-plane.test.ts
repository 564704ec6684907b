// Issue 14.12 against the real control plane in workerd and the real `rewind agent run`. The control
// plane never sends a cancel ahead of its target: it withdraws a command not sent yet, sends in order
// on one socket, and redelivers unacknowledged commands oldest first. But the agent handles frames
// concurrently: a `rollback` command waits in its precondition check (the host state it reads from
// Docker, held here by a proxy) while the `cancel` that followed it is handled at once, and finds
// nothing running. That cancel is kept with the nonces on disk, and the command never runs: not when
// the check returns, and not when the agent was SIGKILLed meanwhile and the command is redelivered to
// the restarted agent (a replay by then, since its nonce was kept when it first came); either way the
// rollback ends `cancelled`. A target that first arrives after its cancel (only a protocol peer can
// send that order) is cancel-before-start.test.ts.
import { execFile } from "node:child_process";
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import type Docker from "dockerode";
import { afterAll, beforeAll, expect, it } from "vitest";
import { runBackup } from "../../agent/src/backup/run-backup.ts";
import { parseAgentConfig } from "../../agent/src/config.ts";
import { type AgentProcess, spawnAgent } from "../world/agent.ts";
import { type ControlPlaneWorld, startControlPlane } from "../world/control-plane.ts";
import { newRunId, requireDocker } from "../world/docker.ts";
import { type DockerProxy, startDockerProxy } from "../world/docker-proxy.ts";
import { apiJson, auditLines, enrollWithCli, hostReady, mintToken, requestRollback, untilRollback, waitUntil } from "./rollbacks-helpers.ts";

const run = promisify(execFile);
const host = "cancel-early";

interface Command {
  state: string;
  outcome: { code?: string; message?: string } | null;
  reports: { kind: string; body: { code?: string } }[];
}

let root: string;
let configFile: string;
let stateDir: string;
let world: ControlPlaneWorld;
let proxy: DockerProxy;
let agent: AgentProcess | undefined;
let operator: { token: string };

beforeAll(async () => {
  const docker: Docker = await requireDocker();
  root = await mkdtemp(path.join(tmpdir(), "rewind-cancel-cp-"));
  const dir = path.join(root, "project");
  await mkdir(dir);
  await run("git", ["init", "-q", "-b", "main"], { cwd: dir });
  await writeFile(path.join(dir, ".gitignore"), "backups/\n");
  await run("git", ["add", "."], { cwd: dir });
  await run("git", ["-c", "user.name=Rewind Test", "-c", "user.email=test@rewind.invalid", "commit", "-qm", "v1"], { cwd: dir });
  // A project with no containers: the rollback must never get as far as touching one.
  const raw = { host, stateDir: path.join(root, "state"), project: { name: `rwcancel${newRunId()}`, dir } };
  configFile = path.join(root, "agent.json");
  await writeFile(configFile, JSON.stringify(raw, null, 2));
  const config = parseAgentConfig(raw, configFile, root);
  stateDir = config.stateDir;
  await runBackup(config, { docker, onProgress: () => undefined });
  [world, proxy] = await Promise.all([startControlPlane(), startDockerProxy()]);
  await enrollWithCli(world, host, configFile);
  operator = await mintToken(world, "operator", "olga");
  agent = spawnAgent(configFile, { env: { DOCKER_HOST: proxy.dockerHost } });
  // Its state report (what the command's preconditions are made of) goes out before its backups.
  await hostReady(world, host, "backup", agent);
});

afterAll(async () => {
  proxy?.release();
  await agent?.stop();
  await proxy?.stop();
  await world?.stop();
  if (root !== undefined) await rm(root, { recursive: true, force: true });
});

async function command(id: string): Promise<Command> {
  return (await apiJson<Command>(world, `/v1/commands/${id}`)).body;
}

/** A rollback whose command waits in the agent's precondition check, then its cancel, handled first. */
async function cancelledWhileWaiting(reason: string): Promise<{ rollbackId: string; commandId: string }> {
  proxy.hold();
  const heldBefore = proxy.held();
  const rollbackId = await requestRollback(world, operator.token, host, reason);
  const commandId = await waitUntil(
    async () => (await apiJson<{ commandId: string | null }>(world, `/v1/rollbacks/${rollbackId}`)).body.commandId ?? undefined,
    "the rollback command",
  );
  // Delivered, and the agent is reading the host state from Docker: it has not started the command.
  await waitUntil(
    async () => ((await command(commandId)).state === "delivered" && proxy.held() > heldBefore ? true : undefined),
    "the agent to wait on Docker",
  );
  const cancel = await apiJson<{ cancelRequested: boolean }>(world, `/v1/rollbacks/${rollbackId}/cancel`, { method: "POST", token: operator.token });
  expect(cancel.status).toBe(202);
  expect(cancel.body.cancelRequested).toBe(true);
  const cancelId = await waitUntil(async () => {
    const requested = (await auditLines(world)).find((e) => e.action === "rollback.cancel-requested" && e.subject === `rollback:${rollbackId}`);
    return requested?.details.commandId as string | undefined;
  }, "the cancel command");
  // The agent answered the cancel while its target was not running yet, and kept it on disk first.
  const answered = await waitUntil(async () => {
    const c = await command(cancelId);
    return c.state === "failed" ? c : undefined;
  }, "the cancel's result");
  expect(answered.outcome).toMatchObject({ code: "NOT_FOUND", message: expect.stringContaining("it will not start if it arrives later") });
  const nonces = JSON.parse(await readFile(path.join(stateDir, "nonces.json"), "utf8")) as { cancelled?: Record<string, number> };
  expect(Object.keys(nonces.cancelled ?? {})).toContain(commandId);
  return { rollbackId, commandId };
}

async function endsCancelled(rollbackId: string, commandId: string): Promise<void> {
  const ended = await untilRollback<{ state: string; steps: unknown[] }>(
    world,
    rollbackId,
    "to end",
    (d) => d.state !== "running" && d.state !== "queued",
    60_000,
    agent,
  );
  expect(ended).toMatchObject({ state: "cancelled", steps: [] });
  const target = await command(commandId);
  expect(target.outcome).toMatchObject({ code: "CANCELLED" });
  expect(target.reports.some((r) => r.kind === "progress")).toBe(false);
  // Never begun: no journal, the host lock free.
  await expect(stat(path.join(stateDir, "rollbacks", rollbackId))).rejects.toThrow(/ENOENT/);
}

it("a cancel handled while its rollback command waits in the agent's precondition check keeps it from running", async () => {
  const { rollbackId, commandId } = await cancelledWhileWaiting("wrong host");
  proxy.release();
  await endsCancelled(rollbackId, commandId);
});

it("the kept cancel survives an agent restart: the command redelivered to the new process never runs", async () => {
  const { rollbackId, commandId } = await cancelledWhileWaiting("wrong host, again");
  agent?.kill("SIGKILL");
  await agent?.exited;
  proxy.release();
  agent = spawnAgent(configFile, { env: { DOCKER_HOST: proxy.dockerHost } });
  await endsCancelled(rollbackId, commandId);
  // It was the restarted agent that answered the redelivered command.
  expect(agent.entries().some((e) => e.commandId === commandId)).toBe(true);
});

// The agent's dispatch and its resilience, in-process over a real socket to a protocol peer:
// one host-changing command at a time (LOCKED), cancel, a type without a handler, a failing
// handler, reports made while offline resent after reconnect, and a silent peer detected by
// heartbeats and left for a fresh connection. And the host-wide lock held by another real process
// (a cron `rewind backup`): a host-changing command is refused LOCKED before any ack, naming it.
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { Writable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CommandHandler, type RunningAgent, startAgent } from "../../agent/src/agent.ts";
import { parseAgentConfig } from "../../agent/src/config.ts";
import { hostLockPath } from "../../agent/src/host/host-lock.ts";
import { createLogger } from "../../agent/src/log.ts";
import { RewindError } from "../../shared/errors.ts";
import type { CommandAction, CommandClaims } from "../../shared/schemas/command.ts";
import { generateSigningKey, type KeyPairJwk, nowSeconds, randomId, signCommand } from "../../shared/signing.ts";
import { type ProtocolPeer, startProtocolPeer } from "../world/agent.ts";
import { type Holder, startHostLockHolder } from "../world/host-lock-process.ts";

const host = "dispatch-host";
let dir: string;
let controlPlaneKey: KeyPairJwk;
let peer: ProtocolPeer;
let agent: RunningAgent;
const logLines: Record<string, unknown>[] = [];
/** Lets a test finish the slow backup handler. */
let releaseBackup: () => void = () => undefined;

const slowBackup: CommandHandler = async (claims, ctx) => {
  await ctx.report({ kind: "progress", commandId: claims.jti, step: "backup", state: "running", message: "started" });
  const outcome = await new Promise<"released" | "aborted">((resolve) => {
    releaseBackup = () => resolve("released");
    ctx.signal.addEventListener("abort", () => resolve("aborted"), { once: true });
  });
  if (outcome === "aborted") return { ok: false, code: "CANCELLED", message: "backup cancelled before it changed anything" };
  await ctx.report({ kind: "progress", commandId: claims.jti, step: "backup", state: "succeeded", message: "done" });
  return { ok: true, output: { backupId: "backup-0001" } };
};

const failingRollback: CommandHandler = async () => {
  throw new RewindError("PREFLIGHT_FAILED", "free disk below the threshold");
};

async function send(action: CommandAction): Promise<string> {
  const iat = nowSeconds();
  const claims: CommandClaims = { iss: "rewind-control-plane", aud: host, jti: randomId(), nonce: randomId(), iat, exp: iat + 300, action };
  peer.sendRaw(JSON.stringify({ t: "command", id: claims.jti, jws: await signCommand(claims, controlPlaneKey.privateJwk) }));
  return claims.jti;
}

function kindsFor(commandId: string): string[] {
  return peer.reports.map((r) => r.report).flatMap((r) => ("commandId" in r && r.commandId === commandId ? [r.kind] : []));
}

async function result(commandId: string) {
  return peer.waitForReport((r) => (r.kind === "result" || r.kind === "rejected") && r.commandId === commandId);
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "rewind-dispatch-"));
  controlPlaneKey = await generateSigningKey("cp-test");
  const agentKey = await generateSigningKey();
  peer = await startProtocolPeer({ host, agentKey: agentKey.publicJwk });
  const config = parseAgentConfig(
    {
      host,
      controlPlane: { url: peer.url, keys: [controlPlaneKey.publicJwk] },
      agentKey: agentKey.privateJwk,
      stateDir: path.join(dir, "state"),
      project: { name: `rewind-test-${host}`, dir },
    },
    "test",
    dir,
  );
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      logLines.push(JSON.parse(chunk.toString("utf8")) as Record<string, unknown>);
      done();
    },
  });
  agent = await startAgent({
    config,
    log: createLogger({ destination: sink, level: "debug" }),
    handlers: { backup: slowBackup, rollback: failingRollback },
    backoff: { initialMs: 50, maxMs: 200, multiplier: 2, stableAfterMs: 10_000 },
    heartbeatIntervalMs: 100,
    heartbeatTimeoutMs: 400,
  });
  await peer.waitFor(() => (agent.connected ? true : undefined), "the agent to connect");
});

afterAll(async () => {
  await agent?.stop(1_000);
  await peer?.stop();
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
});

describe("agent dispatch (in-process agent, real socket)", () => {
  it("runs one host-changing command at a time; a second is refused LOCKED while pings still answer", async () => {
    const backup = await send({ type: "backup" });
    await peer.waitForReport((r) => r.kind === "progress" && r.commandId === backup);
    const second = await send({ type: "backup" });
    expect(await result(second)).toMatchObject({ kind: "rejected", code: "LOCKED" });
    const ping = await send({ type: "ping" });
    expect(await result(ping)).toMatchObject({ kind: "result", ok: true });

    releaseBackup();
    expect(await result(backup)).toMatchObject({ kind: "result", ok: true, output: { backupId: "backup-0001" } });
    expect(kindsFor(backup)).toEqual(["ack", "progress", "progress", "result"]);
    expect(kindsFor(second)).toEqual(["rejected"]);
  });

  it("cancels a running command through its abort signal", async () => {
    const backup = await send({ type: "backup" });
    await peer.waitForReport((r) => r.kind === "progress" && r.commandId === backup);
    const cancel = await send({ type: "cancel", targetCommandId: backup });
    expect(await result(cancel)).toMatchObject({ ok: true, output: { cancelled: backup } });
    expect(await result(backup)).toMatchObject({ ok: false, code: "CANCELLED" });
  });

  it("answers a type it has no handler for with a failed result, and a throwing handler with its code", async () => {
    const verify = await send({ type: "verify" });
    expect(await result(verify)).toMatchObject({ ok: false, code: "UNAVAILABLE" });
    const rollback = await send({ type: "rollback", rollbackId: "rb-00000001", mode: "full", reason: "error rate" });
    expect(await result(rollback)).toMatchObject({ ok: false, code: "PREFLIGHT_FAILED", message: "free disk below the threshold" });
  });

  it("keeps reports made while offline and resends them after reconnecting", async () => {
    const backup = await send({ type: "backup" });
    await peer.waitForReport((r) => r.kind === "progress" && r.commandId === backup);
    peer.setAccepting(false);
    peer.dropConnections();
    await peer.waitFor(() => (agent.connected ? undefined : true), "the agent to notice the drop");
    releaseBackup();
    await peer.waitFor(
      () => (logLines.some((l) => l.msg === "report kept for later" && l.commandId === backup && l.kind === "result") ? true : undefined),
      "the result to be kept while offline",
    );
    peer.setAccepting(true);
    expect(await result(backup)).toMatchObject({ ok: true });
    expect(kindsFor(backup)).toEqual(["ack", "progress", "progress", "result"]);
  });

  it("drops a silent connection after the heartbeat timeout and connects again", async () => {
    await peer.waitFor(() => (agent.connected ? true : undefined), "the agent to be connected");
    const before = peer.connections();
    peer.setSilent(true);
    await peer.waitFor(
      () => (logLines.some((l) => l.msg === "control plane silent; dropping the socket to reconnect") ? true : undefined),
      "the heartbeat to declare the peer dead",
    );
    peer.setSilent(false);
    await peer.waitFor(() => (peer.connections() > before && agent.connected ? true : undefined), "a fresh connection");
    const ping = await send({ type: "ping" });
    expect(await result(ping)).toMatchObject({ ok: true });
  });
});

describe("the host held by another process", () => {
  const holders: Holder[] = [];
  afterAll(async () => {
    for (const holder of holders) await holder.finish();
  });

  async function holderReady(operation: string): Promise<Holder> {
    const holder = startHostLockHolder(path.join(dir, "state"), operation);
    holders.push(holder);
    await holder.ready;
    return holder;
  }

  it("refuses a host-changing command LOCKED before acknowledging it, naming the holder, and runs the next one once it is gone", async () => {
    const cron = await holderReady("backup (cron)");
    cron.go();
    expect(await cron.line).toBe(`acquired ${cron.child.pid}`);

    const refused = await send({ type: "backup" });
    const rejection = await result(refused);
    expect(rejection).toMatchObject({ kind: "rejected", code: "LOCKED" });
    expect(rejection).toHaveProperty("reason", expect.stringContaining(`backup (cron) (pid ${cron.child.pid}`));
    expect(kindsFor(refused)).toEqual(["rejected"]);

    await cron.finish();
    const backup = await send({ type: "backup" });
    await peer.waitForReport((r) => r.kind === "progress" && r.commandId === backup);
    // The agent holds the host for the command while it runs, named after it.
    const held = JSON.parse(await readFile(hostLockPath(path.join(dir, "state")), "utf8")) as { operation: string; pid: number };
    expect(held).toMatchObject({ operation: `backup (command ${backup})`, pid: process.pid });
    releaseBackup();
    expect(await result(backup)).toMatchObject({ kind: "result", ok: true });
    await expect(readFile(hostLockPath(path.join(dir, "state")), "utf8")).rejects.toMatchObject({ code: "ENOENT" });
  });

  it("racing another process for the host, exactly one of them gets it and the other is cleanly refused", async () => {
    for (let round = 0; round < 3; round++) {
      const other = await holderReady(`deploy ${round}`);
      other.go();
      const backup = await send({ type: "backup" });
      const [line, answer] = await Promise.all([other.line, peer.waitForReport((r) => (r.kind === "ack" || r.kind === "rejected") && r.commandId === backup)]);
      if (answer.kind === "rejected") {
        expect(line).toBe(`acquired ${other.child.pid}`);
        expect(answer).toMatchObject({ code: "LOCKED", reason: expect.stringContaining(`deploy ${round} (pid ${other.child.pid}`) });
        expect(kindsFor(backup)).toEqual(["rejected"]);
        await other.finish();
      } else {
        expect(line).toMatch(/^refused LOCKED .*backup \(command /);
        await other.finish();
        await peer.waitForReport((r) => r.kind === "progress" && r.commandId === backup);
        releaseBackup();
        expect(await result(backup)).toMatchObject({ kind: "result", ok: true });
      }
    }
  });
});

// The agent process SIGKILLed in the middle of a rollback the control plane asked for, then started
// again: with no new command it resumes the rollback from its journal and reports it as the original
// command, so the control plane's record ends succeeded. It comes back while another process (a cron
// backup) holds the host: it waits for it instead of forgetting the rollback. Meanwhile the rollback
// lock names the backup in use, and a backup taken with retention 1 keeps it. Control plane in
// workerd, the demo stack in Docker, PostgreSQL, git, the real `rewind agent run` process.
import { readFile } from "node:fs/promises";
import path from "node:path";
import type Docker from "dockerode";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { listBackupNames } from "../../agent/src/backup/retention.ts";
import { runBackup } from "../../agent/src/backup/run-backup.ts";
import { listProjectContainers } from "../../agent/src/host/compose.ts";
import { heldTagShortId } from "../../agent/src/rollback/hold-names.ts";
import { readRollbackLock } from "../../agent/src/rollback/lock-file.ts";
import { type AgentProcess, spawnAgent } from "../world/agent.ts";
import { type ControlPlaneWorld, startControlPlane } from "../world/control-plane.ts";
import { requireDocker } from "../world/docker.ts";
import { startHostLockHolder } from "../world/host-lock-process.ts";
import { type PgCluster, startPostgres } from "../world/postgres.ts";
import { gitHeadOf, prepareScenario, projectTags, type Scenario, snapshotDatabase } from "./rollback-fixture.ts";
import { apiJson, enrollWithCli, hostReady, mintToken, requestRollback, stopScenarioWorld, waitUntil } from "./rollbacks-helpers.ts";

interface Detail {
  rollbackId: string;
  state: string;
  commandId: string | null;
  steps: { step: string; state: string }[];
}

const forwardSteps = ["preflight", "load-backup", "document-state", "stage", "stop-services", "swap", "revert-code", "start", "verify"];

let docker: Docker;
let cluster: PgCluster;
let world: ControlPlaneWorld;
let scenario: Scenario | undefined;
let operator: { token: string };
let agent: AgentProcess | undefined;

beforeAll(async () => {
  docker = await requireDocker();
  [cluster, world] = await Promise.all([startPostgres(), startControlPlane()]);
  const s = await prepareScenario(docker, cluster);
  scenario = s;
  operator = await mintToken(world, "operator", "olivia");
  await enrollWithCli(world, s.config.host, s.configFile);
});

afterAll(async () => {
  await stopScenarioWorld({ agent, world, scenario, cluster });
});

async function current(): Promise<Scenario> {
  if (scenario === undefined) throw new Error("the scenario was not prepared");
  return scenario;
}

async function detail(rollbackId: string): Promise<Detail> {
  const { status, body } = await apiJson<Detail>(world, `/v1/rollbacks/${rollbackId}`, { token: operator.token });
  expect(status).toBe(200);
  return body;
}

/** The last journal line of the rollback holding the lock. */
async function lastJournalEntry(stateDir: string): Promise<{ kind: string; step?: string } | undefined> {
  const holder = await readRollbackLock(stateDir).catch(() => undefined);
  if (holder === undefined) return undefined;
  const text = await readFile(path.join(stateDir, "rollbacks", holder.rollbackId, "journal.jsonl"), "utf8").catch(() => "");
  const last = text.trim().split("\n").at(-1);
  return last ? (JSON.parse(last) as { kind: string; step?: string }) : undefined;
}

describe("an agent killed mid-rollback", () => {
  it("resumes at start-up without a new command and reports as the original one", async () => {
    const s = await current();
    const host = s.config.host;
    agent = spawnAgent(s.configFile);
    await hostReady(world, host, "backup", agent);

    const rollbackId = await requestRollback(world, operator.token, host, "v2 health checks failing");
    const commandId = (await detail(rollbackId)).commandId;
    expect(commandId).toEqual(expect.any(String));

    const killedIn = await waitUntil(
      async () => {
        const entry = await lastJournalEntry(s.config.stateDir);
        return entry?.kind === "start" && entry.step === "stage" ? entry : undefined;
      },
      "the stage step to start",
      120_000,
      agent,
    );
    agent.kill("SIGKILL");
    await agent.exited;
    expect(killedIn.step).toBe("stage");

    // The interrupted rollback still holds the host, and its lock names the backup it restores.
    const lock = await readRollbackLock(s.config.stateDir);
    expect(lock?.backupDir).toBe(s.backupDir);
    // So a backup taken now, keeping only the newest one, still keeps the backup in use.
    const limited = { ...s.config, retention: { ...s.config.retention, backups: 1 } };
    const taken = await runBackup(limited, { docker, onProgress: () => undefined });
    expect(taken.retention.notes.join(" ")).toContain(`rollback ${lock?.rollbackId} is using it`);
    expect((await listBackupNames(s.config.project.backupsDir)).sort()).toEqual([path.basename(s.backupDir), path.basename(taken.dir)].sort());

    // The agent comes back while another process (a cron `rewind backup`) holds the host: it waits
    // for it, and resumes once it lets go, instead of forgetting the rollback.
    const cron = startHostLockHolder(s.config.stateDir, "backup (cron)");
    await cron.ready;
    cron.go();
    expect(await cron.line).toMatch(/^acquired /);
    const stalledAt = await lastJournalEntry(s.config.stateDir);
    const restarted = spawnAgent(s.configFile);
    agent = restarted;
    try {
      const waiting = await restarted.waitForLog((entry) => entry.msg === "an interrupted rollback waits for the host to be free before it resumes", 30_000);
      expect(waiting).toMatchObject({ rollbackId: lock?.rollbackId, reason: expect.stringContaining("backup (cron)") });
      await new Promise((resolve) => setTimeout(resolve, 3000));
      expect(restarted.entries().some((entry) => entry.msg === "resuming an interrupted rollback")).toBe(false);
      expect(await lastJournalEntry(s.config.stateDir)).toEqual(stalledAt);
    } finally {
      await cron.finish();
    }
    const resumedLine = await restarted.waitForLog((entry) => entry.msg === "resuming an interrupted rollback", 30_000);
    expect(resumedLine.commandId).toBe(commandId);

    const done = await waitUntil(
      async () => {
        const now = await detail(rollbackId);
        return ["succeeded", "failed", "undone", "undo-failed", "cancelled"].includes(now.state) ? now : undefined;
      },
      "the rollback to end",
      180_000,
      restarted,
    );
    expect(done.state).toBe("succeeded");
    expect(done.steps.map((step) => [step.step, step.state])).toEqual(forwardSteps.map((step) => [step, "succeeded"]));
    // Nothing new was asked of the restarted agent: it only finished the command it had.
    expect(restarted.entries().filter((entry) => entry.msg === "command accepted")).toEqual([]);
    expect(restarted.entries().find((entry) => entry.msg === "command finished")).toMatchObject({ commandId, ok: true });

    const containers = await listProjectContainers(docker, s.config.project.name);
    for (const service of s.manifest.services) {
      expect(containers.find((c) => c.service === service.service)).toMatchObject({ imageId: service.imageId, health: "healthy" });
    }
    expect(await snapshotDatabase(s.databaseUrl)).toEqual(s.v1.tables);
    expect(await gitHeadOf(s.config.project.dir)).toBe(s.v1Commit);
    expect(await readRollbackLock(s.config.stateDir)).toBeUndefined();
  });

  it("leaves no image tags behind once cleaned up, not even those of the backup taken mid-test or the rollback's holds", async () => {
    const s = await current();
    await agent?.stop();
    agent = undefined;
    const kept = (await projectTags(docker, s.config.project.name)).filter((tag) => tag.startsWith("rewind-keep/"));
    const held = kept.filter((tag) => heldTagShortId(tag, s.config.project.name) !== undefined);
    // Each backup's keep tags, and the rollback's holds on the images the pre-rollback release ran.
    expect(kept.length - held.length).toBe(2 * s.manifest.services.length);
    expect(held.length).toBeGreaterThan(0);
    scenario = undefined;
    await s.cleanup();
    expect(await projectTags(docker, s.config.project.name)).toEqual([]);
  });
});

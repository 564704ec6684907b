// The engine as operators run it, in its own process (`node bin/rewind.js rollback --local`):
// SIGKILLed while stage, stop-services, swap or start is running, then `--resume` finishes the job
// with nothing lost. Also the CLI's confirmation refusal, dry run, and the lock a killed run leaves.
import { type ChildProcess, spawn } from "node:child_process";
import path from "node:path";
import { readdir, readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { listProjectContainers } from "../../agent/src/host/compose.ts";
import { volumeDataDir } from "../../agent/src/host/volume.ts";
import type { RollbackReport } from "../../agent/src/rollback/report.ts";
import { databaseNames, gitHeadOf, type Scenario, scenarioPerTest, snapshotDatabase, snapshotFiles } from "./rollback-fixture.ts";

const repoRoot = path.resolve(import.meta.dirname, "../..");
const rewindBin = path.join(repoRoot, "bin/rewind.js");

const world = scenarioPerTest();

interface Finished {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

function rewind(args: string[], env: NodeJS.ProcessEnv = {}): { child: ChildProcess; done: Promise<Finished> } {
  const child = spawn(process.execPath, [rewindBin, ...args], {
    cwd: repoRoot,
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout?.on("data", (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const done = new Promise<Finished>((resolve) => child.on("close", (code, signal) => resolve({ code, signal, stdout, stderr })));
  return { child, done };
}

async function readText(file: string): Promise<string | undefined> {
  return readFile(file, "utf8").catch(() => undefined);
}

/** The journal's last entry, found through the lock (which names the running rollback). */
async function lastJournalEntry(stateDir: string): Promise<{ kind: string; step?: string } | undefined> {
  const lock = await readText(path.join(stateDir, "rollback.lock"));
  if (!lock) return undefined;
  const { rollbackId } = JSON.parse(lock) as { rollbackId: string };
  const lines = (await readText(path.join(stateDir, "rollbacks", rollbackId, "journal.jsonl")))?.trim().split("\n") ?? [];
  const last = lines.at(-1);
  return last ? (JSON.parse(last) as { kind: string; step?: string }) : undefined;
}

/** SIGKILL the engine the moment its journal says `step` is running; returns the entry seen at the kill. */
async function killDuring(s: Scenario, step: string): Promise<{ kind: string; step?: string } | undefined> {
  const { child, done } = rewind(["rollback", "--local", "--config", s.configFile, "--backup", s.backupDir, "--yes"]);
  let exited = false;
  void done.then(() => {
    exited = true;
  });
  for (;;) {
    const entry = await lastJournalEntry(s.config.stateDir);
    if (entry?.kind === "start" && entry.step === step) {
      child.kill("SIGKILL");
      await done;
      return entry;
    }
    if (exited) throw new Error(`the rollback ended before step ${step} was seen running: ${(await done).stdout}`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

async function expectRolledBack(s: Scenario): Promise<RollbackReport> {
  const containers = await listProjectContainers(world.docker, s.config.project.name);
  for (const service of s.manifest.services) {
    const container = containers.find((c) => c.service === service.service);
    expect(container?.imageId).toBe(service.imageId);
    expect(container?.health).toBe("healthy");
  }
  expect(containers).toHaveLength(s.manifest.services.length);
  expect(await snapshotDatabase(s.databaseUrl)).toEqual(s.v1.tables);
  expect(await snapshotFiles(await volumeDataDir(world.docker, s.config.project.minio?.volume ?? ""))).toEqual(s.v1.files);
  expect(await gitHeadOf(s.config.project.dir)).toBe(s.v1Commit);
  const lockGone = (await readText(path.join(s.config.stateDir, "rollback.lock"))) === undefined;
  expect(lockGone).toBe(true);
  const [rollbackId] = await readdir(path.join(s.config.stateDir, "rollbacks"));
  const report = JSON.parse((await readText(path.join(s.config.stateDir, "rollbacks", rollbackId ?? "", "report.json"))) ?? "{}") as RollbackReport;
  expect(report.state).toBe("succeeded");
  // Nothing lost: the v2 database and data are kept aside.
  expect(await snapshotDatabase(world.cluster.urlFor(report.setAside?.database ?? ""))).toEqual(s.v2.tables);
  expect(await snapshotFiles(report.setAside?.minio ?? "")).toEqual(s.v2.files);
  return report;
}

describe("rollback killed with SIGKILL, then resumed", () => {
  for (const step of ["stage", "stop-services", "swap", "start"]) {
    it(`finishes after a kill during ${step}`, async () => {
      const s = await world.prepare();
      const seen = await killDuring(s, step);
      expect(seen).toEqual(expect.objectContaining({ kind: "start", step }));

      if (step === "stage") {
        // The killed run still holds the host: a new rollback is refused and told to resume.
        const refused = await rewind(["rollback", "--local", "--config", s.configFile, "--backup", s.backupDir, "--yes"]).done;
        expect(refused.code).toBe(1);
        expect(refused.stderr).toContain("LOCKED");
        expect(refused.stderr).toContain("--resume");
      }

      const resumed = await rewind(["rollback", "--local", "--config", s.configFile, "--resume"]).done;
      expect(resumed.stderr).toBe("");
      expect(resumed.code).toBe(0);
      expect(resumed.stdout).toMatch(/^✓ verify +succeeded/m);
      const report = await expectRolledBack(s);
      expect(report.steps.find((r) => r.id === step)?.state).toBe("succeeded");
    });
  }
});

describe("rewind rollback --local", () => {
  it("refuses without confirmation when stdin is not a terminal, and changes nothing", async () => {
    const s = await world.prepare();
    // Health moves on its own (v2 goes from starting to unhealthy); which containers run is what must not change.
    const containers = async () =>
      (await listProjectContainers(world.docker, s.config.project.name)).map((c) => ({ id: c.id, state: c.state, imageId: c.imageId }));
    const before = await containers();
    expect(before.every((c) => c.state === "running")).toBe(true);
    const result = await rewind(["rollback", "--local", "--config", s.configFile, "--backup", s.backupDir]).done;
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("--yes");
    expect(result.stderr).toContain(s.manifest.timestamp);
    expect(result.stderr).toContain(s.v1Commit.slice(0, 12));
    expect(await containers()).toEqual(before);

    // ROLLBACK_CONFIRM=yes is the seed's non-interactive confirmation; --dry-run runs only the checks.
    const dry = await rewind(["rollback", "--local", "--config", s.configFile, "--backup", s.backupDir, "--dry-run"], { ROLLBACK_CONFIRM: "yes" }).done;
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain("preflight → load-backup → document-state → stage → stop-services → swap → revert-code → start → verify");
    expect(dry.stdout).toMatch(/^✓ preflight +succeeded/m);
    expect(dry.stdout).not.toMatch(/^. stage /m);
    expect(await containers()).toEqual(before);
    expect(await snapshotDatabase(s.databaseUrl)).toEqual(s.v2.tables);
    expect((await databaseNames(world.cluster)).filter((n) => n.startsWith(s.database))).toEqual([s.database]);
  });
});

// What the resume tests share: the engine run as operators run it (`node bin/rewind.js`, its own
// process), killed the moment its journal says a step is running, and the checks that a resumed
// rollback left a consistent host with nothing lost.
import { type ChildProcess, spawn } from "node:child_process";
import { readdir, readFile, stat } from "node:fs/promises";
import path from "node:path";
import { expect } from "vitest";
import { listProjectContainers } from "../../agent/src/host/compose.ts";
import { volumeDataDir } from "../../agent/src/host/volume.ts";
import type { RollbackReport } from "../../agent/src/rollback/report.ts";
import { journalLines } from "../world/faults.ts";
import { gitHeadOf, type Scenario, type ScenarioPerTest, snapshotDatabase, snapshotFiles } from "./rollback-fixture.ts";

const repoRoot = path.resolve(import.meta.dirname, "../..");
const rewindBin = path.join(repoRoot, "bin/rewind.js");

export interface Finished {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export function rewind(args: string[], env: NodeJS.ProcessEnv = {}): { child: ChildProcess; done: Promise<Finished> } {
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

export async function readText(file: string): Promise<string | undefined> {
  return readFile(file, "utf8").catch(() => undefined);
}

export /** The journal's last whole entry (the line being written may be torn: it is not counted yet). */
async function lastJournalEntry(stateDir: string): Promise<{ kind: string; step?: string } | undefined> {
  return (await journalLines(stateDir)).at(-1);
}

export /** SIGKILL the engine the moment its journal says `step` is running; returns the entry seen at the kill. */
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
    if (exited) throw new Error(`the rollback ended before step ${step} was seen running: ${(await done).stdout} ${(await done).stderr}`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

export async function expectRolledBack(world: ScenarioPerTest, s: Scenario): Promise<RollbackReport> {
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
  expect(await readText(path.join(s.config.stateDir, "host.lock"))).toBeUndefined();
  const [rollbackId] = await readdir(path.join(s.config.stateDir, "rollbacks"));
  const report = JSON.parse((await readText(path.join(s.config.stateDir, "rollbacks", rollbackId ?? "", "report.json"))) ?? "{}") as RollbackReport;
  expect(report.state).toBe("succeeded");
  // The journal holds container environments: private to the agent.
  const rollbackDir = path.join(s.config.stateDir, "rollbacks", rollbackId ?? "");
  expect((await stat(rollbackDir)).mode & 0o777).toBe(0o700);
  expect((await stat(path.join(rollbackDir, "journal.jsonl"))).mode & 0o777).toBe(0o600);
  // Nothing lost: the v2 database and data are kept aside.
  expect(await snapshotDatabase(world.cluster.urlFor(report.setAside?.database ?? ""))).toEqual(s.v2.tables);
  expect(await snapshotFiles(report.setAside?.minio ?? "")).toEqual(s.v2.files);
  return report;
}

// The engine as operators run it, in its own process (`node bin/rewind.js rollback --local`):
// SIGKILLed while each step is running (load-backup and a half-loaded staged database included, and
// after a power cut that let Docker restart the stopped services), then `--resume` finishes the job
// with nothing lost; a staged database no open journal refers to no longer blocks a new rollback. Also two racing resumes, a backup
// refused while a rollback runs, an undo that fails and is retried, the CLI's confirmation refusal,
// dry run, and the lock a killed run leaves.
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { createWriteStream } from "node:fs";
import path from "node:path";
import { readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { promisify } from "node:util";
import pg from "pg";
import { describe, expect, it } from "vitest";
import { listProjectContainers } from "../../agent/src/host/compose.ts";
import { volumeDataDir } from "../../agent/src/host/volume.ts";
import { stagedDatabase } from "../../agent/src/rollback/names.ts";
import type { RollbackReport } from "../../agent/src/rollback/report.ts";
import { journalLines, restartAfterPowerCut } from "../world/faults.ts";
import { databaseNames, gitHeadOf, type Scenario, scenarioPerTest, snapshotDatabase, snapshotFiles } from "./rollback-fixture.ts";

const repoRoot = path.resolve(import.meta.dirname, "../..");
const rewindBin = path.join(repoRoot, "bin/rewind.js");

const world = scenarioPerTest();
const run = promisify(execFile);

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

/** The journal's last whole entry (the line being written may be torn: it is not counted yet). */
async function lastJournalEntry(stateDir: string): Promise<{ kind: string; step?: string } | undefined> {
  return (await journalLines(stateDir)).at(-1);
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
    if (exited) throw new Error(`the rollback ended before step ${step} was seen running: ${(await done).stdout} ${(await done).stderr}`);
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

describe("rollback killed with SIGKILL, then resumed", () => {
  for (const step of ["preflight", "document-state", "stage", "stop-services", "swap", "revert-code", "start", "verify"]) {
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

/** Swaps `file` for a FIFO: whoever reads it blocks until `feed` writes (and ends) it. */
async function fifoInPlaceOf(file: string): Promise<{ original: Buffer; feed(bytes: Buffer, end: boolean): void; restore(): Promise<void> }> {
  const original = await readFile(file);
  await rm(file);
  await run("mkfifo", ["-m", "600", file]);
  let writer: ReturnType<typeof createWriteStream> | undefined;
  return {
    original,
    feed(bytes, end) {
      writer = createWriteStream(file);
      writer.on("error", () => undefined);
      writer.write(bytes);
      if (end) writer.end();
    },
    async restore() {
      writer?.destroy();
      await rm(file);
      await writeFile(file, original);
    },
  };
}

async function publicTables(url: string): Promise<number> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return Number((await client.query("SELECT count(*) AS n FROM pg_tables WHERE schemaname = 'public'")).rows[0]?.n ?? 0);
  } finally {
    await client.end();
  }
}

describe("rollback killed during load-backup, then mid-restore of its staged database", () => {
  it("resumes each time to a consistent host, and a later rollback replaces a stale staged database", async () => {
    const s = await world.prepare();
    const stage = stagedDatabase(s.database);
    // load-backup reads the recorded container configuration: a FIFO holds it there, and the kill lands in it.
    const containers = await fifoInPlaceOf(path.join(s.backupDir, s.manifest.containers?.path ?? "containers.json"));
    expect(await killDuring(s, "load-backup")).toEqual(expect.objectContaining({ kind: "start", step: "load-backup" }));
    await containers.restore();

    // The resumed run restores the dump from a FIFO fed half of it: psql loads part and waits for the rest.
    const dump = await fifoInPlaceOf(path.join(s.backupDir, s.manifest.database?.file.path ?? ""));
    dump.feed(dump.original.subarray(0, Math.floor(dump.original.length / 2)), false);
    const resumed = rewind(["rollback", "--local", "--config", s.configFile, "--resume"]);
    const deadline = Date.now() + 120_000;
    while (!(await databaseNames(world.cluster)).includes(stage) || (await publicTables(world.cluster.urlFor(stage))) === 0) {
      if (Date.now() > deadline) throw new Error(`${stage} was never half-loaded: ${JSON.stringify(await journalLines(s.config.stateDir))}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    resumed.child.kill("SIGKILL");
    await resumed.done;
    await dump.restore();
    expect(await lastJournalEntry(s.config.stateDir)).toEqual(expect.objectContaining({ kind: "start", step: "stage" }));
    expect(await databaseNames(world.cluster)).toContain(stage);

    // The next resume drops the half-loaded copy, stages afresh and finishes.
    const finished = await rewind(["rollback", "--local", "--config", s.configFile, "--resume"]).done;
    expect(finished.stderr).toBe("");
    expect(finished.code).toBe(0);
    const report = await expectRolledBack(s);
    expect(report.steps.filter((r) => r.id === "load-backup" || r.id === "stage").map((r) => [r.id, r.state])).toEqual([
      ["load-backup", "succeeded"],
      ["stage", "succeeded"],
    ]);

    // A staged copy no open journal refers to (its rollback's state is gone) no longer blocks the next rollback.
    const admin = new pg.Client({ connectionString: world.cluster.adminUrl });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${admin.escapeIdentifier(stage)}`).finally(() => admin.end());
    const leftover = new pg.Client({ connectionString: world.cluster.urlFor(stage) });
    await leftover.connect();
    await leftover.query("CREATE TABLE half_loaded (id int)").finally(() => leftover.end());
    const again = await rewind(["rollback", "--local", "--config", s.configFile, "--backup", s.backupDir, "--yes"]).done;
    expect(again.stderr).toBe("");
    expect(again.code).toBe(0);
    expect(again.stdout).toContain(`${stage} is left by an earlier rollback that was interrupted while staging`);
    expect(await snapshotDatabase(s.databaseUrl)).toEqual(s.v1.tables);
    expect(await databaseNames(world.cluster)).not.toContain(stage);
  });
});

/** Records when each container dies (Docker's `die` events) from now until stop() is called. */
async function watchDeaths(): Promise<{ stop(): Map<string, number> }> {
  const deaths = new Map<string, number>();
  const stream = (await world.docker.getEvents({ filters: { type: ["container"], event: ["die"] } })) as NodeJS.ReadableStream & { destroy(): void };
  let buffer = "";
  stream.on("data", (chunk: Buffer) => {
    buffer += chunk.toString();
    const lines = buffer.split("\n");
    buffer = lines.pop() ?? "";
    for (const line of lines.filter((l) => l.trim() !== "")) {
      const event = JSON.parse(line) as { id: string; timeNano: number };
      if (!deaths.has(event.id)) deaths.set(event.id, Math.floor(event.timeNano / 1e6));
    }
  });
  return {
    stop() {
      stream.destroy();
      return deaths;
    },
  };
}

/** When the journal last recorded `step` done, in ms. */
async function doneAt(s: Scenario, step: string): Promise<number> {
  const [rollbackId] = await readdir(path.join(s.config.stateDir, "rollbacks"));
  const lines = (await readText(path.join(s.config.stateDir, "rollbacks", rollbackId ?? "", "journal.jsonl")))?.trim().split("\n") ?? [];
  const done = lines
    .map((l) => JSON.parse(l) as { kind: string; step?: string; at: string })
    .filter((e) => e.kind === "done" && e.step === step)
    .at(-1);
  if (done === undefined) throw new Error(`the journal never finished ${step}`);
  return Date.parse(done.at);
}

describe("resume after a power cut, racing resumes, a failed undo", () => {
  for (const step of ["swap", "revert-code", "start"]) {
    it(`finishes after a kill during ${step} and a power cut that restarted the stopped services`, async () => {
      const s = await world.prepare();
      await killDuring(s, step);
      const restarted = await restartAfterPowerCut(world.docker, s.config.project.name);
      expect(restarted.length).toBeGreaterThan(0);

      const deaths = await watchDeaths();
      const resumed = await rewind(["rollback", "--local", "--config", s.configFile, "--resume"]).done;
      const died = deaths.stop();
      expect(resumed.stderr).toBe("");
      expect(resumed.code).toBe(0);
      if (step !== "start") {
        // Every service Docker brought back was stopped again before the data or code changed under it.
        const swapped = await doneAt(s, step);
        for (const container of restarted) {
          expect({ name: container.name, diedBeforeSwap: (died.get(container.id) ?? Number.POSITIVE_INFINITY) <= swapped }).toEqual({
            name: container.name,
            diedBeforeSwap: true,
          });
        }
      }
      await expectRolledBack(s);
    });
  }

  it("refuses a backup from another process while a rollback runs, naming the rollback", async () => {
    const s = await world.prepare();
    const rollback = rewind(["rollback", "--local", "--config", s.configFile, "--backup", s.backupDir, "--yes"]);
    for (;;) {
      const entry = await lastJournalEntry(s.config.stateDir);
      if (entry?.kind === "start" && entry.step === "stage") break;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    const backup = await rewind(["backup", "--config", s.configFile]).done;
    expect(backup.code).toBe(1);
    expect(backup.stderr).toContain("LOCKED");
    expect(backup.stderr).toMatch(/rollback \S+ \(pid \d+/);
    expect((await rollback.done).code).toBe(0);
    await expectRolledBack(s);
  });

  it("lets one of two racing --resume finish the rollback; the other is refused naming it", async () => {
    const s = await world.prepare();
    await killDuring(s, "stage");
    const [first, second] = await Promise.all([
      rewind(["rollback", "--local", "--config", s.configFile, "--resume"]).done,
      rewind(["rollback", "--local", "--config", s.configFile, "--resume"]).done,
    ]);
    const results = [first, second];
    const winner = results.find((r) => r.code === 0);
    const loser = results.find((r) => r.code !== 0);
    expect(winner?.stdout).toMatch(/^✓ verify +succeeded/m);
    expect(loser?.code).toBe(1);
    expect(loser?.stderr).toContain("LOCKED");
    expect(loser?.stderr).toContain("rollback --resume (pid");
    await expectRolledBack(s);
  });

  it("keeps the journal open when the undo fails, and --resume retries the undo", async () => {
    const s = await world.prepare({ thresholds: { healthTimeoutSeconds: 8 } });
    // The backup claims the backend ran the broken v2 image: verify fails, the undo runs.
    const manifestFile = path.join(s.backupDir, "manifest.json");
    const manifest = JSON.parse(await readFile(manifestFile, "utf8")) as typeof s.manifest;
    const v2Backend = (await listProjectContainers(world.docker, s.config.project.name)).find((c) => c.service === "backend");
    const services = manifest.services.map((svc) => (svc.service === "backend" ? { service: "backend", imageId: v2Backend?.imageId ?? "" } : svc));
    await writeFile(manifestFile, JSON.stringify({ ...manifest, services }, null, 2));
    // And git cannot check the v2 commit out again while verify runs: the undo fails there.
    const indexLock = path.join(s.config.project.dir, ".git", "index.lock");
    const report = await world.rollback(s, "undo-fails", {
      onProgress: (event) => {
        if (event.step === "verify" && event.state === "running") void writeFile(indexLock, "");
      },
    });
    expect(report.state).toBe("undo-failed");
    expect(report.steps.at(-1)).toMatchObject({ id: "undo", state: "failed" });
    const lines = (await readText(path.join(s.config.stateDir, "rollbacks", report.rollbackId, "journal.jsonl")))?.trim().split("\n") ?? [];
    expect(lines.map((l) => (JSON.parse(l) as { kind: string }).kind)).not.toContain("end");

    // Still owned by the unfinished rollback: a new one is refused, --resume retries the undo.
    const refused = await rewind(["rollback", "--local", "--config", s.configFile, "--backup", s.backupDir, "--yes"]).done;
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("--resume");
    await rm(indexLock);
    const resumed = await rewind(["rollback", "--local", "--config", s.configFile, "--resume"]).done;
    expect(resumed.stdout).toMatch(/^✓ undo +succeeded/m);
    expect(await snapshotDatabase(s.databaseUrl)).toEqual(s.v2.tables);
    expect(await gitHeadOf(s.config.project.dir)).toBe(s.v2Commit);
    const after = await listProjectContainers(world.docker, s.config.project.name);
    expect(after.every((c) => c.state === "running")).toBe(true);
    expect(await readText(path.join(s.config.stateDir, "rollback.lock"))).toBeUndefined();
    const finalReport = JSON.parse((await readText(path.join(s.config.stateDir, "rollbacks", report.rollbackId, "report.json"))) ?? "{}") as RollbackReport;
    expect(finalReport.state).toBe("undone");
  });
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

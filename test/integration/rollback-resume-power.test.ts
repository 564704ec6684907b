// Harder interruptions of the engine run as operators run it: SIGKILL during load-backup, then during a
// resume paused mid-restore (a half-loaded staged database), and kills followed by a power cut that let
// Docker restart the stopped services; each time `--resume` ends on a consistent host with nothing lost,
// and a staged database no open journal refers to no longer blocks a new rollback.
import { execFile } from "node:child_process";
import { createWriteStream } from "node:fs";
import { readdir, readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";
import { gunzipSync, gzipSync } from "node:zlib";
import pg from "pg";
import { describe, expect, it } from "vitest";
import { stagedDatabase } from "../../agent/src/rollback/names.ts";
import { journalLines, restartAfterPowerCut } from "../world/faults.ts";
import { fileFactsOf } from "../fixtures/backup/manifest.ts";
import { databaseNames, rewriteManifest, type Scenario, scenarioPerTest, snapshotDatabase } from "./rollback-fixture.ts";
import { expectRolledBack, killDuring, lastJournalEntry, readText, rewind } from "./resume-helpers.ts";

const world = scenarioPerTest();
const run = promisify(execFile);

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
    // The dump pauses 10 s after creating its tables, before their rows (manifest facts to match, as
    // a backup of it would record): a restore killed in the pause leaves a half-loaded staged copy.
    // Pieces are checked before psql reads them, so a dump cut short could not leave one.
    const dumpFile = path.join(s.backupDir, s.manifest.database?.file.path ?? "");
    const sql = gunzipSync(await readFile(dumpFile)).toString("utf8");
    const rows = sql.indexOf("COPY public.users");
    expect(rows).toBeGreaterThan(0);
    const pausing = gzipSync(`${sql.slice(0, rows)}SELECT pg_sleep(10);\n${sql.slice(rows)}`);
    await writeFile(dumpFile, pausing);
    await rewriteManifest(s, (m) => ({ ...m, ...(m.database ? { database: { ...m.database, file: { ...m.database.file, ...fileFactsOf(pausing) } } } : {}) }));
    // load-backup reads the recorded container configuration: a FIFO holds it there, and the kill lands in it.
    const containers = await fifoInPlaceOf(path.join(s.backupDir, s.manifest.containers?.path ?? "containers.json"));
    expect(await killDuring(s, "load-backup")).toEqual(expect.objectContaining({ kind: "start", step: "load-backup" }));
    await containers.restore();

    // The resumed run restores the dump into the staged database; killed in its pause, it leaves it half-loaded.
    const resumed = rewind(["rollback", "--local", "--config", s.configFile, "--resume"]);
    const deadline = Date.now() + 120_000;
    while (!(await databaseNames(world.cluster)).includes(stage) || (await publicTables(world.cluster.urlFor(stage))) === 0) {
      if (Date.now() > deadline) throw new Error(`${stage} was never half-loaded: ${JSON.stringify(await journalLines(s.config.stateDir))}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    resumed.child.kill("SIGKILL");
    await resumed.done;
    expect(await lastJournalEntry(s.config.stateDir)).toEqual(expect.objectContaining({ kind: "start", step: "stage" }));
    expect(await databaseNames(world.cluster)).toContain(stage);

    // The next resume drops the half-loaded copy, stages afresh and finishes.
    const finished = await rewind(["rollback", "--local", "--config", s.configFile, "--resume"]).done;
    expect(finished.stderr).toBe("");
    expect(finished.code).toBe(0);
    const report = await expectRolledBack(world, s);
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

describe("resume after a power cut", () => {
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
      await expectRolledBack(world, s);
    });
  }
});

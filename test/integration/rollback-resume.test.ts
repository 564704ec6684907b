// The engine as operators run it (`node bin/rewind.js`, its own process) around an interrupted or
// running rollback: two racing resumes, a backup refused while a rollback runs, an undo that fails and
// is retried, the CLI's confirmation refusal and dry run. Kills at each step are in
// rollback-resume-kill.test.ts, load-backup and power cuts in rollback-resume-power.test.ts.
import { readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { listProjectContainers } from "../../agent/src/host/compose.ts";
import type { RollbackReport } from "../../agent/src/rollback/report.ts";
import { databaseNames, gitHeadOf, scenarioPerTest, snapshotDatabase } from "./rollback-fixture.ts";
import { expectRolledBack, killDuring, lastJournalEntry, readText, rewind } from "./resume-helpers.ts";

const world = scenarioPerTest();

describe("racing resumes, a backup during a rollback, a failed undo", () => {
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
    await expectRolledBack(world, s);
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
    await expectRolledBack(world, s);
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

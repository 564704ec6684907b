// Issue 13.12, Docker side: a Docker Engine that accepts a call and never answers. The real
// `rewind rollback --local` runs against the real engine through a socket that stalls one kind of
// call. Before downtime (the logs call of document-state; the volume inspect of stage) the rollback
// fails promptly with TIMED_OUT, naming the call and the setting, with nothing stopped, nothing
// staged left, the live data and code untouched, and the host free for the next rollback. After downtime (creating a container in the
// start step) it is that step's failure, and the undo puts the previous release back.
import { readdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { expect, it } from "vitest";
import { listProjectContainers } from "../../agent/src/host/compose.ts";
import { volumeDataDir } from "../../agent/src/host/volume.ts";
import { rollbackDir } from "../../agent/src/rollback/journal-file.ts";
import { readRollbackLock } from "../../agent/src/rollback/lock-file.ts";
import type { RollbackReport } from "../../agent/src/rollback/report.ts";
import { runRewindCli } from "../world/rewind-cli.ts";
import { startStalledDocker } from "../world/stalled-docker.ts";
import { containerStates, databaseNames, gitHeadOf, type Scenario, scenarioPerTest, snapshotDatabase } from "./rollback-fixture.ts";

const world = scenarioPerTest();

async function withCallSeconds(s: Scenario, callSeconds: number): Promise<void> {
  const raw = JSON.parse(await readFile(s.configFile, "utf8")) as Record<string, unknown>;
  await writeFile(s.configFile, JSON.stringify({ ...raw, docker: { timeouts: { callSeconds } } }, null, 2));
}

async function reportOf(s: Scenario, stdout: string): Promise<RollbackReport> {
  const rollbackId = /rollback (\S+): \S+/.exec(stdout)?.[1] ?? "";
  return JSON.parse(await readFile(path.join(rollbackDir(s.config.stateDir, rollbackId), "report.json"), "utf8")) as RollbackReport;
}

it("a Docker call that never answers before downtime fails the rollback promptly with TIMED_OUT, host untouched", async () => {
  const s = await world.prepare();
  await withCallSeconds(s, 2);
  const engine = await startStalledDocker(/^GET \S*\/containers\/[^/ ]+\/logs/);
  const before = await containerStates(world.docker, s);
  try {
    const started = Date.now();
    const result = await runRewindCli(["rollback", "--local", "--config", s.configFile, "--backup", s.backupDir, "--yes"], {
      env: { ...process.env, DOCKER_HOST: `unix://${engine.socketPath}` },
    });
    const elapsed = Date.now() - started;

    expect(engine.stalled()).toHaveLength(1);
    expect(result.code, result.stderr).toBe(1);
    expect(result.stderr).toMatch(
      /TIMED_OUT: the Docker Engine did not answer GET \S*\/containers\/[0-9a-f]+\/logs within 2 s \(docker\.timeouts\.callSeconds\)/,
    );
    expect(result.stderr).toContain("(in step document-state)");
    expect(elapsed).toBeLessThan(60_000);
    const report = await reportOf(s, result.stdout);
    expect(report.state).toBe("failed");
    expect(report.steps.map((step) => [step.id, step.state])).toEqual([
      ["preflight", "succeeded"],
      ["load-backup", "succeeded"],
      ["document-state", "failed"],
    ]);
    expect(report.error).toMatchObject({ step: "document-state", code: "TIMED_OUT" });
  } finally {
    await engine.stop();
  }
  // Nothing stopped or recreated, live data and code as they were, no staged copy, the host free.
  expect(await containerStates(world.docker, s)).toEqual(before);
  expect(await snapshotDatabase(s.databaseUrl)).toEqual(s.v2.tables);
  expect(await gitHeadOf(s.config.project.dir)).toBe(s.v2Commit);
  expect((await databaseNames(world.cluster)).filter((name) => name.startsWith(s.database))).toEqual([s.database]);
  expect(await readRollbackLock(s.config.stateDir)).toBeUndefined();
});

it("a Docker call that never answers in the stage step fails it with TIMED_OUT, and what was staged goes without asking Docker again", async () => {
  const s = await world.prepare();
  await withCallSeconds(s, 3);
  const volume = s.config.project.minio?.volume ?? "";
  const siblings = async () => (await readdir(path.dirname(await volumeDataDir(world.docker, volume)))).sort();
  const before = await containerStates(world.docker, s);
  const dirsBefore = await siblings();
  // Preflight inspects the MinIO volume once; the stage step's inspect, and every one after it, stalls.
  const engine = await startStalledDocker(new RegExp(`^GET \\S*/volumes/${volume}`), { skip: 1 });
  try {
    const result = await runRewindCli(["rollback", "--local", "--config", s.configFile, "--backup", s.backupDir, "--yes"], {
      env: { ...process.env, DOCKER_HOST: `unix://${engine.socketPath}` },
    });

    expect(engine.stalled()).toHaveLength(1);
    expect(result.code, result.stderr).toBe(1);
    expect(result.stderr).toMatch(new RegExp(`TIMED_OUT: the Docker Engine did not answer GET \\S*/volumes/${volume} within 3 s`));
    const report = await reportOf(s, result.stdout);
    expect(report.state).toBe("failed");
    expect(report.error).toMatchObject({ step: "stage", code: "TIMED_OUT" });
    expect(report.steps.slice(-2).map((step) => [step.id, step.state])).toEqual([
      ["stage", "failed"],
      ["undo", "succeeded"],
    ]);
  } finally {
    await engine.stop();
  }
  expect(await containerStates(world.docker, s)).toEqual(before);
  expect(await snapshotDatabase(s.databaseUrl)).toEqual(s.v2.tables);
  expect((await databaseNames(world.cluster)).filter((name) => name.startsWith(s.database))).toEqual([s.database]);
  expect(await siblings()).toEqual(dirsBefore);
  expect(await readRollbackLock(s.config.stateDir)).toBeUndefined();
});

it("a Docker call that never answers after downtime fails that step with TIMED_OUT, and the undo restores the host", async () => {
  const s = await world.prepare();
  await withCallSeconds(s, 8);
  const images = async () => (await listProjectContainers(world.docker, s.config.project.name)).map((c) => [c.service, c.imageId, c.state]).sort();
  const v2Images = await images();
  // Only the first container create stalls: the engine recovers for the undo.
  const engine = await startStalledDocker(/^POST \S*\/containers\/create/, { limit: 1 });
  try {
    const result = await runRewindCli(["rollback", "--local", "--config", s.configFile, "--backup", s.backupDir, "--yes"], {
      env: { ...process.env, DOCKER_HOST: `unix://${engine.socketPath}` },
    });

    expect(engine.stalled()).toHaveLength(1);
    expect(result.code, result.stderr).toBe(1);
    expect(result.stderr).toMatch(/TIMED_OUT: .*the Docker Engine did not answer POST \S*\/containers\/create within 8 s \(docker\.timeouts\.callSeconds\)/);
    const report = await reportOf(s, result.stdout);
    expect(report.state).toBe("undone");
    expect(report.error).toMatchObject({ step: "start", code: "TIMED_OUT" });
    expect(report.steps.at(-1)).toMatchObject({ id: "undo", state: "succeeded" });
  } finally {
    await engine.stop();
  }
  // The previous release is back: its containers running, its data live, its commit checked out.
  expect(await images()).toEqual(v2Images);
  expect(v2Images.every(([, , state]) => state === "running")).toBe(true);
  expect(await snapshotDatabase(s.databaseUrl)).toEqual(s.v2.tables);
  expect(await gitHeadOf(s.config.project.dir)).toBe(s.v2Commit);
  expect(await readRollbackLock(s.config.stateDir)).toBeUndefined();
});

// A host whose only usable backup was made by the seed's scripts (`backups/pre-deployment-TS/` with
// the dump and the MinIO tarball, named by `.last-deployment-backup`, no manifest) is rolled back
// from an Alertmanager alert: the real agent process verifies that backup and announces it signed
// as origin `seed`, the control plane in workerd lists it and, the newest by creation time (an
// older Rewind backup sorts after it by name), chooses it.
import { cp, readFile, rm, stat } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { manifestPath, readManifest, writeManifest } from "../../agent/src/backup/manifest-file.ts";
import { volumeDataDir } from "../../agent/src/host/volume.ts";
import amHealth from "../fixtures/alerts/alertmanager-health-firing.json" with { type: "json" };
import { alertRollback, type Json, startTriggerWorld, type TriggerWorld } from "./alerts-fixture.ts";
import { gitHeadOf, snapshotDatabase, snapshotFiles } from "./rollback-fixture.ts";

let world: TriggerWorld;
let seedId: string;
/** A Rewind backup older by creation time, in a directory whose name sorts after the seed's. */
const olderRewindId = "pre-deployment-20991231_235959";

beforeAll(async () => {
  world = await startTriggerWorld(
    {},
    {
      scenario: { withSources: true },
      async beforeAgent(scenario) {
        const older = await readManifest(scenario.backupDir);
        const olderDir = path.join(path.dirname(scenario.backupDir), olderRewindId);
        await cp(scenario.backupDir, olderDir, { recursive: true });
        await writeManifest(olderDir, { ...older, backupId: olderRewindId, createdAt: "2020-01-01T00:00:00.000Z" });
        // What the seed's scripts leave: the archives and `.last-deployment-backup`, no manifest.
        await rm(manifestPath(scenario.backupDir));
        seedId = path.basename(scenario.backupDir);
      },
    },
  );
});

afterAll(async () => {
  await world?.stop();
});

describe("a seed-made backup, from an Alertmanager alert", () => {
  it("is verified by the agent and listed by the control plane as origin seed, newest first", async () => {
    const deadline = Date.now() + 60_000;
    let backups: Json[] = [];
    while (backups.length < 2 && Date.now() < deadline) {
      backups = (await world.json(`/v1/hosts/${world.host}/backups`)).backups as Json[];
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    expect(backups.map((b) => [b.backupId, b.origin])).toEqual([
      [seedId, "seed"],
      [olderRewindId, "rewind"],
    ]);
    expect(backups[0]).toMatchObject({ gitCommit: world.scenario.v1Commit, verified: true });

    const stored = await world.json(`/v1/hosts/${world.host}/backups/${seedId}`);
    const manifest = stored.manifest as Json;
    const database = manifest.database as { file: { path: string; sha256: string; bytes: number } };
    const dumpFile = path.join(world.scenario.backupDir, database.file.path);
    expect(database.file.bytes).toBe((await stat(dumpFile)).size);
    expect(manifest).toMatchObject({ origin: "seed", services: [], timestamp: world.scenario.manifest.timestamp });
    // The manifest the agent wrote beside the archives is the one it announced.
    expect(JSON.parse(await readFile(manifestPath(world.scenario.backupDir), "utf8"))).toEqual(manifest);
    expect(world.agent.logs().some((line) => line.includes("seed backup verified and described (origin seed)"))).toBe(true);
  });

  it("an alert rolls the host back with it: v1's rows, files, commit and images", async () => {
    const alertToken = await world.token("alert-source");
    const payload = structuredClone(amHealth);
    for (const alert of payload.alerts) alert.labels.host = world.host;
    payload.commonLabels.host = world.host;
    const rollbackId = await alertRollback(world, alertToken, payload, { code: "HEALTH_CHECK_FAILURES" });
    const rollback = await world.waitForFinal(rollbackId);
    expect(rollback).toMatchObject({ state: "succeeded", backupId: seedId });

    const { scenario } = world;
    expect(await snapshotDatabase(scenario.databaseUrl)).toEqual(scenario.v1.tables);
    expect(await snapshotFiles(await volumeDataDir(world.docker, scenario.config.project.minio?.volume ?? ""))).toEqual(scenario.v1.files);
    expect(await gitHeadOf(scenario.config.project.dir)).toBe(scenario.v1Commit);
    expect((await (await fetch(`${scenario.stack.urls.backend}/version`)).text()).trim()).toBe("v1");
  });
});

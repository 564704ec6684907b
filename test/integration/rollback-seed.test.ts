// Hosts that follow the seed runbook work unchanged: a backup described only by its
// `.last-deployment-backup` file (no manifest: no sha256, no image ids, no row counts) rolls back with
// `--last`, and the project is built and brought up with Compose from the reverted checkout, as the
// runbook does.
import { rm } from "node:fs/promises";
import path from "node:path";
import type Docker from "dockerode";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { listProjectContainers } from "../../agent/src/host/compose.ts";
import { volumeDataDir } from "../../agent/src/host/volume.ts";
import type { RollbackProgress } from "../../agent/src/rollback/executor.ts";
import type { RollbackReport } from "../../agent/src/rollback/report.ts";
import { runRollback } from "../../agent/src/rollback/run-rollback.ts";
import { requireDocker } from "../world/docker.ts";
import { type PgCluster, startPostgres } from "../world/postgres.ts";
import { gitHeadOf, prepareScenario, type Scenario, snapshotDatabase, snapshotFiles } from "./rollback-fixture.ts";

describe("a rollback from the seed's .last-deployment-backup", () => {
  let docker: Docker;
  let cluster: PgCluster;
  let scenario: Scenario;
  let report: RollbackReport;
  const events: RollbackProgress[] = [];

  beforeAll(async () => {
    docker = await requireDocker();
    cluster = await startPostgres();
    scenario = await prepareScenario(docker, cluster, { withSources: true });
    await rm(path.join(scenario.backupDir, "manifest.json"));
    report = await runRollback(
      scenario.config,
      { rollbackId: `rb-seed-${scenario.runId}`, backup: { kind: "last" }, mode: "full", reason: "seed-style host" },
      { docker, signal: new AbortController().signal, onProgress: (event) => events.push(event) },
    );
  });

  afterAll(async () => {
    await scenario?.cleanup();
    await cluster?.stop();
  });

  it("succeeds from the KEY=VALUE file", () => {
    expect(report.error).toBeUndefined();
    expect(report.state).toBe("succeeded");
    expect(report.backup).toEqual({ timestamp: scenario.manifest.timestamp, commit: scenario.v1Commit, source: "last-deployment-backup" });
  });

  it("builds with Compose from the reverted compose file's build contexts, and the services run healthy as v1", async () => {
    const containers = await listProjectContainers(docker, scenario.config.project.name);
    expect(containers.map((c) => c.service).sort()).toEqual(["backend", "frontend", "minio", "pdf-worker"]);
    // The v1 compose file's image names, now on what Compose built from the checkout.
    expect(containers.every((c) => c.imageRef.startsWith("rewind-demo/") && c.imageRef.includes(":v1-"))).toBe(true);
    expect(containers.every((c) => c.state === "running" && c.health === "healthy")).toBe(true);
    expect((await (await fetch(`${scenario.stack.urls.backend}/version`)).text()).trim()).toBe("v1");
    expect(events.some((e) => e.step === "start" && e.message?.match(/^building .*backend.* build/))).toBe(true);
  });

  it("restores the database, the MinIO data and the code", async () => {
    expect(await snapshotDatabase(scenario.databaseUrl)).toEqual(scenario.v1.tables);
    expect(await snapshotFiles(await volumeDataDir(docker, scenario.config.project.minio?.volume ?? ""))).toEqual(scenario.v1.files);
    expect(await gitHeadOf(scenario.config.project.dir)).toBe(scenario.v1Commit);
  });
});

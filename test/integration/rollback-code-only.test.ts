// The seed's "emergency rollback without a data restore": code-only mode puts the backup's commit
// and images back and leaves the database and MinIO data exactly as they are.
import { rm } from "node:fs/promises";
import path from "node:path";
import type Docker from "dockerode";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { listProjectContainers } from "../../agent/src/host/compose.ts";
import { volumeDataDir } from "../../agent/src/host/volume.ts";
import type { RollbackReport } from "../../agent/src/rollback/report.ts";
import { runRollback } from "../../agent/src/rollback/run-rollback.ts";
import { requireDocker } from "../world/docker.ts";
import { type PgCluster, startPostgres } from "../world/postgres.ts";
import { databaseNames, gitHeadOf, prepareScenario, type Scenario, snapshotDatabase, snapshotFiles } from "./rollback-fixture.ts";

describe("a code-only rollback", () => {
  let docker: Docker;
  let cluster: PgCluster;
  let scenario: Scenario;
  let report: RollbackReport;

  beforeAll(async () => {
    docker = await requireDocker();
    cluster = await startPostgres();
    scenario = await prepareScenario(docker, cluster);
    report = await runRollback(
      scenario.config,
      { rollbackId: `rb-code-${scenario.runId}`, backup: { kind: "last" }, mode: "code-only", reason: "bad code, good data" },
      { docker, signal: new AbortController().signal, onProgress: () => undefined },
    );
  });

  afterAll(async () => {
    await scenario?.cleanup();
    await cluster?.stop();
  });

  it("skips stage and swap and succeeds", () => {
    expect(report.error).toBeUndefined();
    expect(report.state).toBe("succeeded");
    expect(report.steps.map((s) => s.id)).toEqual(["preflight", "load-backup", "document-state", "stop-services", "revert-code", "start", "verify"]);
    expect(report.setAside).toBeUndefined();
  });

  it("runs the backup's images at the backup's commit", async () => {
    const containers = await listProjectContainers(docker, scenario.config.project.name);
    for (const service of scenario.manifest.services) {
      const container = containers.find((c) => c.service === service.service);
      expect(container?.imageId).toBe(service.imageId);
      expect(container?.health).toBe("healthy");
    }
    expect(await gitHeadOf(scenario.config.project.dir)).toBe(scenario.v1Commit);
  });

  it("leaves the v2 database and MinIO data untouched", async () => {
    expect(await snapshotDatabase(scenario.databaseUrl)).toEqual(scenario.v2.tables);
    expect(await snapshotFiles(await volumeDataDir(docker, scenario.config.project.minio?.volume ?? ""))).toEqual(scenario.v2.files);
    expect((await databaseNames(cluster)).filter((n) => n.startsWith(scenario.database))).toEqual([scenario.database]);
  });
});

describe("an emergency code-only rollback on a host with no backup at all", () => {
  it("checks out the named commit, rebuilds from it, and leaves data untouched", async () => {
    const docker = await requireDocker();
    const cluster = await startPostgres();
    const scenario = await prepareScenario(docker, cluster, { withSources: true });
    try {
      await rm(scenario.config.project.backupsDir, { recursive: true });
      await rm(path.join(scenario.config.project.dir, ".last-deployment-backup"));
      const report = await runRollback(
        scenario.config,
        { rollbackId: `rb-emerg-${scenario.runId}`, backup: { kind: "last" }, mode: "code-only", commit: scenario.v1Commit, reason: "no backup" },
        { docker, signal: new AbortController().signal, onProgress: () => undefined },
      );
      expect(report.error).toBeUndefined();
      expect(report.state).toBe("succeeded");
      expect(report.backup?.source).toBe("commit");
      expect(await gitHeadOf(scenario.config.project.dir)).toBe(scenario.v1Commit);
      const containers = await listProjectContainers(docker, scenario.config.project.name);
      // Built by Compose from the named commit's compose file: its image names (the v1 ones), healthy.
      expect(containers.every((c) => c.health === "healthy" && c.imageRef.includes(":v1-"))).toBe(true);
      expect(await snapshotDatabase(scenario.databaseUrl)).toEqual(scenario.v2.tables);
    } finally {
      await scenario.cleanup();
      await cluster.stop();
    }
  });
});

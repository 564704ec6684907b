// A full rollback of the demo stack on real Docker, PostgreSQL, volumes and git: the broken v2
// with changed data goes back to the v1 backup, and the v2 state is kept aside, not dropped. The
// project also runs a `postgres` service (config `project.database.service`), kept running throughout.
import { readdir, writeFile } from "node:fs/promises";
import path from "node:path";
import type Docker from "dockerode";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { listProjectContainers } from "../../agent/src/host/compose.ts";
import { setAsideDirOf } from "../../agent/src/host/set-aside-dir.ts";
import { volumeDataDir } from "../../agent/src/host/volume.ts";
import { pruneSetAside } from "../../agent/src/rollback/prune-set-aside.ts";
import type { RollbackProgress } from "../../agent/src/rollback/executor.ts";
import { runRollback } from "../../agent/src/rollback/run-rollback.ts";
import type { RollbackReport } from "../../agent/src/rollback/report.ts";
import { requireDocker } from "../world/docker.ts";
import { type PgCluster, startPostgres } from "../world/postgres.ts";
import { databaseNames, gitHeadOf, prepareScenario, type Scenario, snapshotDatabase, snapshotFiles } from "./rollback-fixture.ts";

describe("a full rollback of the demo stack", () => {
  let docker: Docker;
  let cluster: PgCluster;
  let scenario: Scenario;
  let report: RollbackReport;
  const events: RollbackProgress[] = [];
  let databaseService: { id: string; startedAt: string } | undefined;

  beforeAll(async () => {
    docker = await requireDocker();
    cluster = await startPostgres();
    scenario = await prepareScenario(docker, cluster, { databaseService: true });
    const postgres = (await listProjectContainers(docker, scenario.config.project.name)).find((c) => c.service === "postgres");
    const inspected = await docker.getContainer(postgres?.id ?? "").inspect();
    databaseService = { id: inspected.Id, startedAt: inspected.State.StartedAt };
    report = await runRollback(
      scenario.config,
      { rollbackId: `rb-full-${scenario.runId}`, backup: { kind: "manifest", dir: scenario.backupDir }, mode: "full", reason: "v2 health checks fail" },
      { docker, signal: new AbortController().signal, onProgress: (event) => events.push(event) },
    );
  });

  afterAll(async () => {
    await scenario?.cleanup();
    await cluster?.stop();
  });

  it("succeeds through all nine steps and reports its downtime", () => {
    expect(report.error).toBeUndefined();
    expect(report.state).toBe("succeeded");
    expect(report.steps.map((s) => [s.id, s.state])).toEqual(
      ["preflight", "load-backup", "document-state", "stage", "stop-services", "swap", "revert-code", "start", "verify"].map((id) => [id, "succeeded"]),
    );
    expect(report.downtimeMs).toBeGreaterThan(0);
    expect(report.backup?.commit).toBe(scenario.v1Commit);
    expect(Object.keys(report.logExcerpts).some((name) => name.includes("backend"))).toBe(true);
    expect(events.filter((e) => e.state === "succeeded").map((e) => e.step)).toContain("verify");
  });

  it("runs the v1 images, healthy", async () => {
    const containers = await listProjectContainers(docker, scenario.config.project.name);
    const byService = Object.fromEntries(containers.map((c) => [c.service, c]));
    for (const service of scenario.manifest.services) {
      expect(byService[service.service]?.imageId).toBe(service.imageId);
      expect(byService[service.service]?.state).toBe("running");
    }
    expect(containers.every((c) => c.health === "healthy")).toBe(true);
    const response = await fetch(`${scenario.stack.urls.backend}/version`);
    expect((await response.text()).trim()).toBe("v1");
  });

  it("keeps the configured database service running through the swap, and stops every other service", async () => {
    const inspected = await docker.getContainer(databaseService?.id ?? "").inspect();
    expect(inspected.State.Running).toBe(true);
    expect(inspected.State.StartedAt).toBe(databaseService?.startedAt);
    const stopped = events.filter((e) => e.step === "stop-services" && e.message?.startsWith("stopping ")).map((e) => e.message);
    expect(stopped).toHaveLength(scenario.manifest.services.length - 1);
    expect(stopped.some((message) => message?.includes("(postgres)"))).toBe(false);
  });

  it("restores the database to the backup, rows and sequences", async () => {
    expect(await snapshotDatabase(scenario.databaseUrl)).toEqual(scenario.v1.tables);
  });

  it("restores the MinIO data to the archive", async () => {
    const dataDir = await volumeDataDir(docker, scenario.config.project.minio?.volume ?? "");
    expect(await snapshotFiles(dataDir)).toEqual(scenario.v1.files);
  });

  it("checks out the backup's commit", async () => {
    expect(await gitHeadOf(scenario.config.project.dir)).toBe(scenario.v1Commit);
  });

  it("keeps the pre-rollback database and MinIO data aside", async () => {
    const aside = report.setAside?.database ?? "";
    expect(await databaseNames(cluster)).toContain(aside);
    expect(await snapshotDatabase(cluster.urlFor(aside))).toEqual(scenario.v2.tables);
    expect(await snapshotFiles(report.setAside?.minio ?? "")).toEqual(scenario.v2.files);
    // Outside the volume's own directory: `docker volume rm` must not take it (set-aside-kept.test.ts).
    expect(path.dirname(report.setAside?.minio ?? "")).toBe(setAsideDirOf(await volumeDataDir(docker, scenario.config.project.minio?.volume ?? "")));
  });

  it("keeps set-aside copies younger than the minimum age beyond the count, and prunes them once older", async () => {
    const config = { ...scenario.config, retention: { ...scenario.config.retention, setAside: 1 } };
    const second = await runRollback(
      config,
      { rollbackId: `rb-again-${scenario.runId}`, backup: { kind: "manifest", dir: scenario.backupDir }, mode: "full", reason: "again" },
      { docker, signal: new AbortController().signal, onProgress: () => undefined },
    );
    expect(second.state).toBe("succeeded");
    // One rollback's worth is the count, but the first copies are minutes old: a week is the minimum.
    expect(second.prunedSetAside).toEqual([]);
    expect(await databaseNames(cluster)).toContain(report.setAside?.database);
    const asideDir = setAsideDirOf(await volumeDataDir(docker, scenario.config.project.minio?.volume ?? ""));
    expect((await readdir(asideDir)).sort()).toEqual([path.basename(report.setAside?.minio ?? ""), path.basename(second.setAside?.minio ?? "")].sort());

    // Eight days later, the first rollback's copies go; the newest rollback's stay.
    const firstReport = path.join(scenario.config.stateDir, "rollbacks", report.rollbackId, "report.json");
    const aged = { ...report, finishedAt: new Date(Date.now() - 8 * 24 * 3600 * 1000).toISOString() };
    await writeFile(firstReport, JSON.stringify(aged));
    expect(await pruneSetAside(config, docker, `rb-none-${scenario.runId}`)).toEqual([report.rollbackId]);
    const names = await databaseNames(cluster);
    expect(names).not.toContain(report.setAside?.database);
    expect(names).toContain(second.setAside?.database);
    expect(await readdir(asideDir)).toEqual([path.basename(second.setAside?.minio ?? "")]);
    expect(await readdir(path.dirname(await volumeDataDir(docker, scenario.config.project.minio?.volume ?? "")))).toEqual(["_data"]);
    expect(await snapshotDatabase(scenario.databaseUrl)).toEqual(scenario.v1.tables);
  });

  it("keeps the report on the host and releases the lock", async () => {
    const { readFile, access } = await import("node:fs/promises");
    const kept = JSON.parse(await readFile(path.join(scenario.config.stateDir, "rollbacks", report.rollbackId, "report.json"), "utf8"));
    expect(kept.state).toBe("succeeded");
    await expect(access(path.join(scenario.config.stateDir, "rollback.lock"))).rejects.toThrow();
  });
});

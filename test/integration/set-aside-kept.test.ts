// The pre-rollback MinIO data a rollback sets aside (the only copy of what was written under the bad
// release) survives the volume: `docker compose down --volumes` / `docker volume rm` after a rollback
// leaves it whole, because it lives outside the volume's directory (<docker root>/rewind-set-aside/).
import { mkdir, readdir, writeFile } from "node:fs/promises";
import path from "node:path";
import type Docker from "dockerode";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runBackup } from "../../agent/src/backup/run-backup.ts";
import { setAsideDirOf } from "../../agent/src/host/set-aside-dir.ts";
import { volumeDataDir } from "../../agent/src/host/volume.ts";
import type { RollbackReport } from "../../agent/src/rollback/report.ts";
import { runRollback } from "../../agent/src/rollback/run-rollback.ts";
import { downStack } from "../../infra/demo-stack/stack.ts";
import { requireDocker } from "../world/docker.ts";
import { type PgCluster, startPostgres } from "../world/postgres.ts";
import { prepareScenario, type Scenario, snapshotFiles } from "./rollback-fixture.ts";

describe("set-aside MinIO data after a rollback", () => {
  let docker: Docker;
  let cluster: PgCluster;
  let scenario: Scenario;
  let report: RollbackReport;
  let liveDir: string;
  const progress: string[] = [];
  const beside = (name: string): string => path.join(path.dirname(liveDir), name);

  beforeAll(async () => {
    docker = await requireDocker();
    cluster = await startPostgres();
    scenario = await prepareScenario(docker, cluster);
    liveDir = await volumeDataDir(docker, scenario.config.project.minio?.volume ?? "");
    // Left by a rollback killed mid-stage whose journal has since ended: stale.
    // `openone`'s journal is open (an empty file counts): its staged copy may still be swapped in.
    // `_data.rewind-old1` is a set-aside copy as older versions kept it; `_data.bak` is the operator's.
    for (const name of ["_data.rewind-stage-stale1", "_data.rewind-stage-openone", "_data.rewind-old1", "_data.bak"]) {
      await mkdir(path.join(beside(name), "bucket"), { recursive: true });
      await writeFile(path.join(beside(name), "bucket", "object"), name);
    }
    await mkdir(path.join(scenario.config.stateDir, "rollbacks", "openone"), { recursive: true });
    await writeFile(path.join(scenario.config.stateDir, "rollbacks", "openone", "journal.jsonl"), "");
    report = await runRollback(
      scenario.config,
      { rollbackId: `rb-kept-${scenario.runId}`, backup: { kind: "manifest", dir: scenario.backupDir }, mode: "full", reason: "v2 is broken" },
      { docker, signal: new AbortController().signal, onProgress: (p) => p.message && progress.push(p.message) },
    );
  });

  afterAll(async () => {
    await scenario?.cleanup();
    await cluster?.stop();
  });

  it("removes only the stale staged copy an interrupted rollback left beside _data, and says so", async () => {
    expect(report.state).toBe("succeeded");
    expect(report.removedStaleStages).toEqual([beside("_data.rewind-stage-stale1")]);
    expect(progress).toContainEqual(expect.stringContaining(`removed ${beside("_data.rewind-stage-stale1")}`));
    expect(progress).toContainEqual(
      expect.stringContaining(`kept ${beside("_data.rewind-stage-openone")}: it is the staged copy of unfinished rollback openone`),
    );
    expect((await readdir(path.dirname(liveDir))).sort()).toEqual(["_data", "_data.bak", "_data.rewind-old1", "_data.rewind-stage-openone"]);
  });

  it("a later backup's retention pass removes a staged copy an interrupted rollback left, keeping an open one's", async () => {
    await mkdir(path.join(beside("_data.rewind-stage-later2"), "bucket"), { recursive: true });
    const backupProgress: string[] = [];
    const backup = await runBackup(scenario.config, { docker, signal: new AbortController().signal, onProgress: (p) => backupProgress.push(p.message) });
    expect(backup.retention.removed).toContain(beside("_data.rewind-stage-later2"));
    expect(backupProgress).toContainEqual(expect.stringContaining(`removed ${beside("_data.rewind-stage-later2")}`));
    expect(backupProgress).toContainEqual(expect.stringContaining(`kept ${beside("_data.rewind-stage-openone")}`));
    expect((await readdir(path.dirname(liveDir))).sort()).toEqual(["_data", "_data.bak", "_data.rewind-old1", "_data.rewind-stage-openone"]);
  });

  it("survives docker volume rm of the volume", async () => {
    expect(report.state).toBe("succeeded");
    const aside = report.setAside?.minio ?? "";
    expect(path.dirname(aside)).toBe(setAsideDirOf(liveDir));
    expect(path.relative(path.dirname(liveDir), aside).startsWith("..")).toBe(true);

    // `docker compose down --volumes`, run by Compose itself: the project's containers, then its volumes, go.
    await downStack(scenario.stack);
    await expect(docker.getVolume(scenario.config.project.minio?.volume ?? "").inspect()).rejects.toMatchObject({ statusCode: 404 });
    expect(await snapshotFiles(aside)).toEqual(scenario.v2.files);
  });
});

// Applies `retention.setAside`: drops the set-aside database and MinIO data of older rollbacks, read
// from the reports kept under the state dir: the pre-rollback copies a swap set aside, and the
// post-start copies an undo set aside. The newest ones stay, so a rollback can still be undone.
import { readdir, readFile, rm } from "node:fs/promises";
import path from "node:path";
import type Docker from "dockerode";
import type { AgentConfig } from "../config.ts";
import { dropDatabase } from "../host/postgres-restore.ts";
import { swapPaths, volumeDataDir } from "../host/volume.ts";
import { dataDirNames, setAsideDatabase, setAsidePostDatabase } from "./names.ts";
import type { RollbackReport } from "./report.ts";
import type { FinishedRollback } from "./retention.ts";
import { prunable } from "./retention.ts";

async function finishedRollbacks(stateDir: string): Promise<FinishedRollback[]> {
  const root = path.join(stateDir, "rollbacks");
  const finished: FinishedRollback[] = [];
  for (const id of await readdir(root).catch(() => [])) {
    const text = await readFile(path.join(root, id, "report.json"), "utf8").catch(() => undefined);
    if (text === undefined) continue;
    const report = JSON.parse(text) as Pick<RollbackReport, "state" | "mode" | "dryRun" | "startedAt" | "setAside" | "undoSetAside">;
    const keptData = (report.state === "succeeded" && report.setAside) || (report.state === "undone" && report.undoSetAside);
    if (report.mode === "full" && !report.dryRun && keptData) {
      finished.push({ rollbackId: id, startedAt: report.startedAt });
    }
  }
  return finished;
}

/** Returns the ids whose set-aside copies were removed. */
export async function pruneSetAside(config: AgentConfig, docker: Docker, currentId: string): Promise<string[]> {
  const ids = prunable(await finishedRollbacks(config.stateDir), config.retention.setAside).filter((id) => id !== currentId);
  const database = config.project.database;
  const minio = config.project.minio;
  const liveData = minio ? await volumeDataDir(docker, minio.volume) : undefined;
  for (const id of ids) {
    if (database) {
      await dropDatabase(database.adminUrl, setAsideDatabase(database.name, id));
      await dropDatabase(database.adminUrl, setAsidePostDatabase(database.name, id));
    }
    if (liveData) {
      const paths = swapPaths(liveData, dataDirNames(id));
      await rm(paths.aside, { recursive: true, force: true });
      await rm(paths.post, { recursive: true, force: true });
    }
  }
  return ids;
}

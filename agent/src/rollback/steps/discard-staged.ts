// Removes staged copies that never went live (a failed or cancelled rollback): the side database and
// the unpacked MinIO directory. Live data and set-aside copies are never touched here.
import { rm } from "node:fs/promises";
import { dropDatabase } from "../../host/postgres-restore.ts";
import { swapPaths, volumeDataDir } from "../../host/volume.ts";
import { setAsideDataDir, stagedDataDir, stagedDatabase } from "../names.ts";
import type { StepContext } from "../step-context.ts";

export async function discardStaged(ctx: StepContext): Promise<void> {
  const { config, request } = ctx;
  if (request.mode !== "full") return;
  const database = config.project.database;
  if (database) await dropDatabase(database.adminUrl, stagedDatabase(database.name));
  const minio = config.project.minio;
  if (minio) {
    const paths = swapPaths(await volumeDataDir(ctx.docker, minio.volume), stagedDataDir(request.rollbackId), setAsideDataDir(request.rollbackId));
    await rm(paths.staged, { recursive: true, force: true });
  }
}

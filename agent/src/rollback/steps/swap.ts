// Step 6: rename the live database and MinIO data aside and the staged copies in. Seconds, whatever
// the size; the set-aside copies stay so the rollback itself can be undone.
import { swapDatabases } from "../../host/postgres-swap.ts";
import { swapPaths, swapVolumeData, volumeDataDir } from "../../host/volume.ts";
import { dataDirNames, setAsideDatabase, stagedDatabase } from "../names.ts";
import type { StepContext, StepOutput } from "../step-context.ts";
import { targetOfRun } from "../step-context.ts";

export async function swap(ctx: StepContext): Promise<StepOutput> {
  const { config, request } = ctx;
  const backup = targetOfRun(ctx).backup;
  const output: StepOutput = {};
  const database = config.project.database;
  if (backup.database && database) {
    const names = { live: database.name, stage: stagedDatabase(database.name), aside: setAsideDatabase(database.name, request.rollbackId) };
    await swapDatabases(database.adminUrl, names, database.timeouts);
    ctx.progress(`database ${names.live} set aside as ${names.aside}; restored copy is live`);
    output.databaseAside = names.aside;
  }
  const minio = config.project.minio;
  if (backup.minio && minio) {
    const paths = swapPaths(await volumeDataDir(ctx.docker, minio.volume), dataDirNames(request.rollbackId));
    await swapVolumeData(paths);
    ctx.progress(`MinIO data set aside as ${paths.aside}; restored copy is live`);
    output.minioAside = paths.aside;
  }
  return output;
}

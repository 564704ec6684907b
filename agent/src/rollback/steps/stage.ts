// Step 4: the slow work, while the services still run: restore the dump (psql, or pg_restore -j for
// the custom format) into a side database and unpack the MinIO archive beside the volume's `_data`.
// Re-running starts both afresh.
import { chmod, chown, stat } from "node:fs/promises";
import { restoreIntoStage } from "../../host/postgres-restore.ts";
import { freshDir, swapPaths, volumeDataDir } from "../../host/volume.ts";
import { unpackTarGz } from "../backup-files.ts";
import { setAsideDataDir, stagedDataDir, stagedDatabase } from "../names.ts";
import type { StepContext, StepOutput } from "../step-context.ts";
import { targetOfRun } from "../step-context.ts";

export async function stage(ctx: StepContext): Promise<StepOutput> {
  const { config, request, docker } = ctx;
  const backup = targetOfRun(ctx).backup;
  const output: StepOutput = {};
  const database = config.project.database;
  if (backup.database && database) {
    const staged = stagedDatabase(database.name);
    ctx.progress(`restoring ${backup.database.file} into ${staged}`);
    const dump = { file: backup.database.file, format: backup.database.format ?? "plain-gzip" };
    await restoreIntoStage(database, dump, database.name, staged, ctx.signal);
    output.database = staged;
  }
  const minio = config.project.minio;
  if (backup.minio && minio) {
    const live = await volumeDataDir(docker, minio.volume);
    const paths = swapPaths(live, stagedDataDir(request.rollbackId), setAsideDataDir(request.rollbackId));
    ctx.progress(`unpacking ${backup.minio.file} into ${paths.staged}`);
    await freshDir(paths.staged);
    // The staged root must look like `_data` (owner, mode), or the container sees a different mount.
    const liveStat = await stat(live);
    await chown(paths.staged, liveStat.uid, liveStat.gid);
    await chmod(paths.staged, liveStat.mode & 0o7777);
    await unpackTarGz(backup.minio.file, paths.staged, ctx.signal);
    output.minio = paths.staged;
  }
  return output;
}

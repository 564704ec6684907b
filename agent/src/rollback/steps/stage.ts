// Step 4: the slow work, while the services still run: restore the dump (psql, or pg_restore -j for
// the custom format) into a side database, check its tables and row counts against the manifest
// (here, before any downtime: once the application runs again its rows change), and unpack the
// MinIO archive beside the volume's `_data` (first removing staged copies interrupted rollbacks left
// there, see stale-stages.ts). The staged database's OID is journaled: it is the only
// database a later discard or undo may drop. Re-running starts both afresh; a failure removes both.
import { chmod, chown, rm, stat } from "node:fs/promises";
import { RewindError } from "../../../../shared/errors.ts";
import { tableCounts } from "../../host/postgres-stats.ts";
import { restoreIntoStage } from "../../host/postgres-stage.ts";
import { databaseOid, dropDatabaseWithOid } from "../../host/postgres-swap.ts";
import { freshDir, swapPaths, volumeDataDir } from "../../host/volume.ts";
import { unpackTarGz } from "../backup-files.ts";
import { dataDirNames, stagedDatabase } from "../names.ts";
import { removeStaleStages } from "../stale-stages.ts";
import type { StepContext, StepOutput } from "../step-context.ts";
import { targetOfRun } from "../step-context.ts";
import { compareTableCounts, describeMismatches } from "../verify-checks.ts";

type Database = NonNullable<StepContext["config"]["project"]["database"]>;
type Backup = ReturnType<typeof targetOfRun>["backup"];

/** Restores into the staged database and compares it with the manifest; returns its name and OID. */
async function stageDatabase(ctx: StepContext, database: Database, dump: NonNullable<Backup["database"]>): Promise<{ name: string; oid: number }> {
  const staged = stagedDatabase(database.name);
  ctx.progress(`restoring ${dump.file} into ${staged}`);
  await restoreIntoStage(database, { file: dump.file, format: dump.format ?? "plain-gzip" }, database.name, staged, ctx.signal);
  const oid = await databaseOid(database.adminUrl, staged, database.timeouts);
  if (oid === undefined) throw new RewindError("STEP_FAILED", `the staged database ${staged} vanished right after its restore`);
  if (dump.tables) {
    const actual = await tableCounts({ url: database.adminUrl, database: staged }, database.timeouts);
    const mismatches = compareTableCounts(dump.tables, actual);
    if (mismatches.length > 0) {
      await dropDatabaseWithOid(database.adminUrl, staged, oid, database.timeouts);
      throw new RewindError("STEP_FAILED", `the restored database differs from the backup's manifest, nothing was stopped: ${describeMismatches(mismatches)}`);
    }
    ctx.progress(`${actual.length} tables of ${staged} match the manifest's row counts`);
  }
  return { name: staged, oid };
}

/** Unpacks the MinIO archive beside the volume's `_data`, owned and moded like it; removed again on failure. */
async function stageMinio(ctx: StepContext, live: string, archive: string): Promise<string> {
  const paths = swapPaths(live, dataDirNames(ctx.request.rollbackId));
  try {
    ctx.progress(`unpacking ${archive} into ${paths.staged}`);
    await freshDir(paths.staged);
    // The staged root must look like `_data` (owner, mode), or the container sees a different mount.
    const liveStat = await stat(live);
    await chown(paths.staged, liveStat.uid, liveStat.gid);
    await chmod(paths.staged, liveStat.mode & 0o7777);
    await unpackTarGz(archive, paths.staged, ctx.signal);
    return paths.staged;
  } catch (error) {
    await rm(paths.staged, { recursive: true, force: true });
    throw error;
  }
}

export async function stage(ctx: StepContext): Promise<StepOutput> {
  const { config } = ctx;
  const backup = targetOfRun(ctx).backup;
  const output: StepOutput = {};
  const minio = config.project.minio;
  const minioLive = minio ? await volumeDataDir(ctx.docker, minio.volume) : undefined;
  // First, so the disk they hold is free for this rollback's own copies.
  if (minioLive) {
    const removed = await removeStaleStages(config.stateDir, minioLive, ctx.request.rollbackId, ctx.progress);
    if (removed.length > 0) output.removedStaleStages = removed;
  }
  const database = config.project.database;
  const staged = backup.database && database ? await stageDatabase(ctx, database, backup.database) : undefined;
  if (staged) {
    output.database = staged.name;
    output.databaseOid = staged.oid;
  }
  if (backup.minio && minioLive) {
    try {
      output.minio = await stageMinio(ctx, minioLive, backup.minio.file);
    } catch (error) {
      // The step's output (and the OID in it) is journaled only on success: drop the copy now, while the OID is known.
      if (staged && database) await dropDatabaseWithOid(database.adminUrl, staged.name, staged.oid, database.timeouts);
      throw error;
    }
  }
  return output;
}

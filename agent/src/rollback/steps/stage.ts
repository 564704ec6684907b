// Step 4: the slow work, while the services still run: restore the dump (psql, or pg_restore -j for
// the custom format; a file with pieces in its manifest is checked piece by piece on its way in, which
// is the only read of it before the restore) into a side database, check its tables and row counts against the manifest
// (here, before any downtime: once the application runs again its rows change), and unpack the
// MinIO archive beside the volume's `_data` (first removing staged copies interrupted rollbacks left
// there, see stale-stages.ts). The two run at the same time (PostgreSQL's work and a file copy);
// the first failure stops the other. The staged database's OID is journaled: it is the only
// database a later discard or undo may drop. Re-running starts both afresh; a failure removes both.
import { chmod, chown, rm, stat } from "node:fs/promises";
import { isRewindError, RewindError } from "../../../../shared/errors.ts";
import { tableCounts } from "../../host/postgres-stats.ts";
import { restoreIntoStage } from "../../host/postgres-stage.ts";
import { databaseOid, dropDatabaseWithOid } from "../../host/postgres-swap.ts";
import { freshDir, swapPaths, volumeDataDir } from "../../host/volume.ts";
import type { ExpectedPieces } from "../../backup/pieces.ts";
import { unpackTarGz } from "../backup-files.ts";
import { sideBySide } from "../side-by-side.ts";
import { dataDirNames, stagedDatabase } from "../names.ts";
import { removeStaleStages } from "../stale-stages.ts";
import type { StepContext, StepOutput } from "../step-context.ts";
import { targetOfRun } from "../step-context.ts";
import { compareTableCounts, describeMismatches } from "../verify-checks.ts";

type Database = NonNullable<StepContext["config"]["project"]["database"]>;

/** The manifest's pieces of a file, for the restore to check each one before using it (preflight did not read such files). */
function expectedPieces(file: { bytes?: number; pieces?: string[] }): { pieces?: ExpectedPieces } {
  return file.pieces !== undefined && file.bytes !== undefined ? { pieces: { bytes: file.bytes, pieces: file.pieces } } : {};
}
type Backup = ReturnType<typeof targetOfRun>["backup"];

/** Restores into the staged database and compares it with the manifest; returns its name and OID. */
async function stageDatabase(ctx: StepContext, database: Database, dump: NonNullable<Backup["database"]>): Promise<{ name: string; oid: number }> {
  const staged = stagedDatabase(database.name);
  ctx.progress(`restoring ${dump.file} into ${staged}`);
  const expected = dump.tables;
  // Compared while ANALYZE runs; a mismatch drops the stage like any failed restore.
  const compareCounts = async (): Promise<void> => {
    if (!expected) return;
    const actual = await tableCounts({ url: database.adminUrl, database: staged }, database.timeouts);
    const mismatches = compareTableCounts(expected, actual);
    if (mismatches.length > 0) {
      throw new RewindError("STEP_FAILED", `the restored database differs from the backup's manifest, nothing was stopped: ${describeMismatches(mismatches)}`);
    }
    ctx.progress(`${actual.length} tables of ${staged} match the manifest's row counts`);
  };
  const source = { file: dump.file, format: dump.format ?? "plain-gzip", within: targetOfRun(ctx).backup.dir, ...expectedPieces(dump) };
  await restoreIntoStage(database, source, database.name, staged, ctx.signal, compareCounts);
  const oid = await databaseOid(database.adminUrl, staged, database.timeouts);
  if (oid === undefined) throw new RewindError("STEP_FAILED", `the staged database ${staged} vanished right after its restore`);
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
    await unpackTarGz({ file: archive, within: targetOfRun(ctx).backup.dir, ...expectedPieces(targetOfRun(ctx).backup.minio ?? {}) }, paths.staged, ctx.signal);
    return paths.staged;
  } catch (error) {
    await rm(paths.staged, { recursive: true, force: true });
    if (isRewindError(error)) throw error;
    throw new RewindError("STEP_FAILED", `unpacking ${archive} into ${paths.staged} failed: ${(error as Error).message}`, { cause: error });
  }
}

/** Removes what finished staging after the other half failed; a removal that fails is added to the error. */
async function removeStaged(database: Database | undefined, staged: { db?: { name: string; oid: number }; minio?: string }, cause: unknown): Promise<never> {
  const removals = await Promise.allSettled([
    staged.db && database ? dropDatabaseWithOid(database.adminUrl, staged.db.name, staged.db.oid, database.timeouts) : undefined,
    staged.minio === undefined ? undefined : rm(staged.minio, { recursive: true, force: true }),
  ]);
  const left = removals.flatMap((r, i) => (r.status === "rejected" ? [`${i === 0 ? staged.db?.name : staged.minio}: ${(r.reason as Error).message}`] : []));
  if (left.length === 0) throw cause;
  const message = cause instanceof Error ? cause.message : String(cause);
  throw new RewindError("STEP_FAILED", `${message}; removing the staged copy also failed, remove it by hand: ${left.join("; ")}`, { cause });
}

export async function stage(ctx: StepContext): Promise<StepOutput> {
  const { config } = ctx;
  const backup = targetOfRun(ctx).backup;
  const output: StepOutput = {};
  const { database, minio } = config.project;
  const minioLive = minio ? await volumeDataDir(ctx.docker, minio.volume) : undefined;
  // First, so the disk they hold is free for this rollback's own copies.
  if (minioLive) {
    const removed = await removeStaleStages(config.stateDir, minioLive, ctx.request.rollbackId, ctx.progress);
    if (removed.length > 0) output.removedStaleStages = removed;
  }
  const dump = database ? backup.database : undefined;
  const archive = minioLive ? backup.minio?.file : undefined;
  const staged = await sideBySide(
    ctx.signal,
    async (signal) => (dump && database ? stageDatabase({ ...ctx, signal }, database, dump) : undefined),
    async (signal) => (archive && minioLive ? stageMinio({ ...ctx, signal }, minioLive, archive) : undefined),
  );
  // The step's output (and the OID in it) is journaled only on success: what did get staged is removed now, while the OID is known.
  if (staged.error !== undefined) {
    return removeStaged(database, { ...(staged.first ? { db: staged.first } : {}), ...(staged.second ? { minio: staged.second } : {}) }, staged.error);
  }
  if (staged.first) {
    output.database = staged.first.name;
    output.databaseOid = staged.first.oid;
  }
  if (staged.second) output.minio = staged.second;
  return output;
}

// Step 1: every check before anything changes. Docker answers, the backup is complete and intact
// (missing archives fetched back from the off-site copy; every file read whole: gzip decompression,
// sha256 against the manifest; a custom-format dump's table of contents; except a file whose manifest
// lists its pieces, only found and sized here, as the stage checks each piece before it uses it), disk has room for the
// staged copies, PostgreSQL answers, git knows the target commit, and the names the rollback will
// create (staged, set aside before and after) are distinct and free. Any failure is PREFLIGHT_FAILED,
// except a Docker call that timed out (TIMED_OUT).
// The live database's OID is journaled: an undo brings back exactly that database.
import path from "node:path";
import { RewindError, isRewindError } from "../../../../shared/errors.ts";
import { commandName, requireComposeCli } from "../../host/compose-cli.ts";
import { composeFilesProblemAt, mayUseComposeAt } from "../../host/compose-files.ts";
import { imageIdOf } from "../../host/docker-start.ts";
import { freeBytes } from "../../host/disk.ts";
import { gitHead, hasCommit } from "../../host/git.ts";
import { dataDirectory, pingPostgres } from "../../host/postgres-restore.ts";
import { listCustomDump } from "../../host/postgres-stage.ts";
import { databaseNamesOnServer, databaseOid } from "../../host/postgres-swap.ts";
import { prepareSetAsideDir } from "../../host/set-aside-dir.ts";
import { exists, swapPaths, volumeDataDir } from "../../host/volume.ts";
import type { FileCheck } from "../../backup/integrity.ts";
import { checkBackupFiles } from "../backup-files.ts";
import { openRollbacks } from "../journal-file.ts";
import type { LoadedBackup } from "../loaded-backup.ts";
import { recordLockBackup } from "../lock-file.ts";
import { dataDirNames, derivedDatabaseNames, derivedNamesProblem } from "../names.ts";
import { resolveForRequest } from "../resolve-backup.ts";
import type { StepContext, StepOutput } from "../step-context.ts";
import { stagedDatabaseOid } from "./discard-staged.ts";

const mb = (bytes: number): string => `${Math.round(bytes / 1024 ** 2)} MB`;

/** What preflight proved of a file: all of it, or (pieces in its manifest) its size, the stage checking each piece before using it. */
const wholeness = (check: FileCheck): string =>
  check.piecesAtRestore === true ? "present with the recorded size (each piece is checked against the manifest as the stage reads it)" : "intact";

function fail(message: string, cause?: unknown): never {
  throw new RewindError("PREFLIGHT_FAILED", message, cause === undefined ? {} : { cause });
}

async function check<T>(what: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (isRewindError(error, "PREFLIGHT_FAILED")) throw error;
    // A stalled dependency keeps its own code: the operator fixes the engine, not the backup.
    if (isRewindError(error, "TIMED_OUT")) throw new RewindError("TIMED_OUT", `${what}: ${error.message}; nothing was changed`, { cause: error });
    return fail(`${what}: ${(error as Error).message}`, error);
  }
}

async function checkDisk(label: string, dir: string, need: number, threshold: number): Promise<void> {
  const free = await freeBytes(dir);
  const required = Math.max(threshold, need);
  if (free < required) fail(`not enough free disk for ${label} at ${dir}: ${mb(free)} free, ${mb(required)} needed`);
}

type Database = NonNullable<StepContext["config"]["project"]["database"]>;

/**
 * Whether an existing staged database is a stale one to replace: Rewind's own derived name, which
 * never holds data an application served on (the swap renames it to the live name while services
 * are stopped), left half-loaded by a rollback killed mid-stage whose journal has since ended or
 * gone. While any other rollback's journal is open it may still be that rollback's: refused.
 */
async function staleStage(ctx: StepContext, stage: string): Promise<boolean> {
  const open = await openRollbacks(ctx.config.stateDir, ctx.request.rollbackId);
  if (open.length > 0) {
    fail(`a database named ${stage} exists and rollback ${open.join(", ")} is unfinished: finish it first (rewind rollback --local --resume)`);
  }
  ctx.progress(`${stage} is left by an earlier rollback that was interrupted while staging (no open journal refers to it): the stage step replaces it`);
  return true;
}

/** The derived database names are usable (see names.ts); returns the live database's OID, if it exists. */
async function checkDatabaseNames(ctx: StepContext, database: Database): Promise<number | undefined> {
  const names = derivedDatabaseNames(database.name, ctx.request.rollbackId);
  const existing = await check("PostgreSQL cannot list its databases", () => databaseNamesOnServer(database.adminUrl, database.timeouts));
  // A resumed run may find the staged copy it made itself: that one it owns (same OID as journaled).
  const ownedOid = stagedDatabaseOid(ctx);
  const owned = ownedOid !== undefined && (await databaseOid(database.adminUrl, names.stage, database.timeouts)) === ownedOid;
  const problem = derivedNamesProblem(database.name, names, existing, owned || (existing.has(names.stage) && (await staleStage(ctx, names.stage))));
  if (problem) fail(problem);
  return check("PostgreSQL cannot look up the live database", () => databaseOid(database.adminUrl, database.name, database.timeouts));
}

async function checkDataDirNames(ctx: StepContext, dataDir: string): Promise<void> {
  const paths = swapPaths(dataDir, dataDirNames(ctx.request.rollbackId));
  for (const dir of [paths.aside, paths.post]) {
    if (await exists(dir))
      fail(`${dir} already exists (a set-aside name of this rollback); it is probably left by an earlier rollback: inspect it, then move it away`);
  }
}

/**
 * Without recorded containers for the target commit, or with a recorded image gone (built again),
 * the start step runs the Compose CLI with the configured files of the reverted checkout: a missing
 * CLI or file found only then would find the services already down. The files are looked up as the
 * checkout to the target commit (after the stop) will leave them. Returns whether Compose may run.
 */
async function composeMayStart(ctx: StepContext, backup: LoadedBackup, target: string): Promise<boolean> {
  const { project } = ctx.config;
  const recordedStart = backup.containers !== undefined && target === backup.commit;
  if (recordedStart && !(await check("Docker cannot look up the recorded images", () => someImageGone(ctx, backup)))) return false;
  if (!(await check("git cannot read the target commit's tree", () => mayUseComposeAt(project, target, { signal: ctx.signal })))) return false;
  if (project.composeFiles) {
    const files = project.composeFiles;
    const problem = await check("git cannot read the compose files of the target commit", () =>
      composeFilesProblemAt(project.dir, target, files, { signal: ctx.signal }),
    );
    if (problem) fail(problem);
    ctx.progress(`${files.join(", ")} (project.composeFiles) will be there at commit ${target.slice(0, 12)}`);
  }
  const cli = await check("the release is started with Compose", () => requireComposeCli());
  ctx.progress(`${commandName(cli)} ${cli.version} answers: it starts the release from the reverted checkout`);
  return true;
}

async function someImageGone(ctx: StepContext, backup: LoadedBackup): Promise<boolean> {
  for (const service of backup.services) if (!(await imageIdOf(ctx.docker, service.imageId))) return true;
  return false;
}

export async function preflight(ctx: StepContext): Promise<StepOutput> {
  const { config, request } = ctx;
  const full = request.mode === "full";
  await check("Docker is not answering", () => ctx.docker.ping());
  const backup: LoadedBackup = await check("the backup cannot be loaded", () => resolveForRequest(config, request, ctx.signal));
  // From here on backup retention keeps this backup, whatever else the host does.
  if (backup.source !== "commit") await recordLockBackup(config.stateDir, request.rollbackId, backup.dir);
  const head = await check("git state of the project is unknown", () => gitHead(config.project.dir, { signal: ctx.signal }));
  const target = request.commit ?? backup.commit;
  if (!(await check("git cannot look up the target commit", () => hasCommit(config.project.dir, target, { signal: ctx.signal })))) {
    fail(`commit ${target} is not in the repository at ${config.project.dir}; git fetch it first`);
  }
  const threshold = config.thresholds.minFreeDiskBytes;
  await check("free disk cannot be measured", () => checkDisk("logs and reports", config.stateDir, 0, threshold));
  const checks: string[] = ["docker", "git"];
  if (await composeMayStart(ctx, backup, target)) checks.push("compose");
  if (!full) return { checks, backup, head };
  const database = config.project.database;
  if (database && backup.database?.format === "directory") {
    // One sha256 cannot vouch for a directory of files: nothing proves such a dump whole.
    fail(
      `${backup.database.file} is pg_dump's directory format, which Rewind does not restore (no sha256 can prove a directory whole): ` +
        "take a plain or custom dump (rewind backup --format custom), or convert this one with pg_restore -f - DIR | gzip > db.sql.gz",
    );
  }
  const files = await check("the backup's files are not whole", () => checkBackupFiles(config, backup, ctx.signal));
  if (files.fetched.length > 0) ctx.progress(`fetched from the off-site copy (sha256 checked): ${files.fetched.join(", ")}`);
  const databaseOidOutput: { databaseOid?: number } = {};
  if (backup.database && database && files.database) {
    const dump = backup.database;
    if ((dump.format ?? "plain-gzip") !== "plain-gzip") {
      await check("the database dump cannot be read by pg_restore", () =>
        listCustomDump(database.binDir, { file: dump.file, within: backup.dir }, ctx.signal, database.timeouts),
      );
    }
    // A custom dump is compressed inside: the restored database needs at least its size.
    const need = files.database.unpackedBytes ?? dump.bytes ?? 0;
    ctx.progress(`database dump ${path.basename(dump.file)} ${wholeness(files.database)} (${mb(need)} to restore)`);
    await check("PostgreSQL is not reachable", () => pingPostgres(database.adminUrl, database.timeouts));
    const dataDir = await check("PostgreSQL's data directory is unknown", () => dataDirectory(database.adminUrl, database.timeouts));
    // The server may be elsewhere (its data directory not on this host): then only the threshold applies here.
    if (dataDir && (await exists(dataDir))) await checkDisk("the staged database", dataDir, need, threshold);
    const oid = await checkDatabaseNames(ctx, database);
    if (oid !== undefined) databaseOidOutput.databaseOid = oid;
    checks.push("database-dump", "postgres", "names");
  }
  const minio = config.project.minio;
  if (backup.minio && minio && files.minio) {
    const need = files.minio.unpackedBytes ?? 0;
    ctx.progress(`MinIO archive ${path.basename(backup.minio.file)} ${wholeness(files.minio)} (${mb(need)} unpacked)`);
    const dataDir = await check(`MinIO volume ${minio.volume}`, () => volumeDataDir(ctx.docker, minio.volume));
    await check("free disk cannot be measured", () => checkDisk("the staged MinIO data", path.dirname(dataDir), need, threshold));
    await check("the MinIO data cannot be set aside outside its volume", () => prepareSetAsideDir(dataDir));
    await checkDataDirNames(ctx, dataDir);
    checks.push("minio-archive");
  }
  return { checks, backup, head, ...databaseOidOutput };
}

// Step 1: every check before anything changes. Docker answers, the backup is complete and intact
// (whole-file gzip decompression, sha256 against the manifest), disk has room for the staged copies,
// PostgreSQL answers, git knows the target commit. Any failure is PREFLIGHT_FAILED, nothing changed.
import path from "node:path";
import { RewindError, isRewindError } from "../../../../shared/errors.ts";
import { freeBytes } from "../../host/disk.ts";
import { gitHead, hasCommit } from "../../host/git.ts";
import { dataDirectory, pingPostgres } from "../../host/postgres-restore.ts";
import { exists, volumeDataDir } from "../../host/volume.ts";
import { inspectGzip } from "../backup-files.ts";
import type { LoadedBackup } from "../loaded-backup.ts";
import { resolveForRequest } from "../resolve-backup.ts";
import type { StepContext, StepOutput } from "../step-context.ts";

const mb = (bytes: number): string => `${Math.round(bytes / 1024 ** 2)} MB`;

function fail(message: string, cause?: unknown): never {
  throw new RewindError("PREFLIGHT_FAILED", message, cause === undefined ? {} : { cause });
}

async function check<T>(what: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (isRewindError(error, "PREFLIGHT_FAILED")) throw error;
    return fail(`${what}: ${(error as Error).message}`, error);
  }
}

async function checkArchive(label: string, file: string, sha256: string | undefined, ctx: StepContext): Promise<number> {
  if (!(await exists(file))) fail(`${label} ${file} is missing`);
  const facts = await inspectGzip(file, ctx.signal);
  if (sha256 && facts.sha256 !== sha256) {
    fail(`${label} ${path.basename(file)} does not match its manifest (sha256 ${facts.sha256.slice(0, 12)}…, expected ${sha256.slice(0, 12)}…)`);
  }
  ctx.progress(`${label} ${path.basename(file)} intact (${mb(facts.bytes)} compressed, ${mb(facts.uncompressedBytes)} unpacked)`);
  return facts.uncompressedBytes;
}

async function checkDisk(label: string, dir: string, need: number, threshold: number): Promise<void> {
  const free = await freeBytes(dir);
  const required = Math.max(threshold, need);
  if (free < required) fail(`not enough free disk for ${label} at ${dir}: ${mb(free)} free, ${mb(required)} needed`);
}

export async function preflight(ctx: StepContext): Promise<StepOutput> {
  const { config, request } = ctx;
  const full = request.mode === "full";
  await check("Docker is not answering", () => ctx.docker.ping());
  const backup: LoadedBackup = await check("the backup cannot be loaded", () => resolveForRequest(config, request));
  const head = await check("git state of the project is unknown", () => gitHead(config.project.dir));
  const target = request.commit ?? backup.commit;
  if (!(await check("git cannot look up the target commit", () => hasCommit(config.project.dir, target)))) {
    fail(`commit ${target} is not in the repository at ${config.project.dir}; git fetch it first`);
  }
  const threshold = config.thresholds.minFreeDiskBytes;
  await check("free disk cannot be measured", () => checkDisk("logs and reports", config.stateDir, 0, threshold));
  const checks: string[] = ["docker", "git"];
  if (full && backup.database && config.project.database) {
    const database = config.project.database;
    const dumpBytes = await checkArchive("database dump", backup.database.file, backup.database.sha256, ctx);
    await check("PostgreSQL is not reachable", () => pingPostgres(database.adminUrl));
    const dataDir = await check("PostgreSQL's data directory is unknown", () => dataDirectory(database.adminUrl));
    // The server may be elsewhere (its data directory not on this host): then only the threshold applies here.
    if (dataDir && (await exists(dataDir))) await checkDisk("the staged database", dataDir, dumpBytes, threshold);
    checks.push("database-dump", "postgres");
  }
  if (full && backup.minio && config.project.minio) {
    const minio = config.project.minio;
    const dataBytes = await checkArchive("MinIO archive", backup.minio.file, backup.minio.sha256, ctx);
    const dataDir = await check(`MinIO volume ${minio.volume}`, () => volumeDataDir(ctx.docker, minio.volume));
    await check("free disk cannot be measured", () => checkDisk("the staged MinIO data", path.dirname(dataDir), dataBytes, threshold));
    checks.push("minio-archive");
  }
  return { checks, backup, head };
}

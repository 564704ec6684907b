// Adopts the backup the seed's own scripts made (named by `.last-deployment-backup`, no manifest):
// the agent reads every file whole (sha256, gzip to the end, pg_dump's completion trailer) and only
// then writes a manifest of origin `seed` beside it, so the backup is announced, listed by the
// control plane and chosen like any other, and any later change to its files is caught by sha256.
import { createReadStream } from "node:fs";
import { readFile, stat } from "node:fs/promises";
import path from "node:path";
import { pipeline } from "node:stream/promises";
import { RewindError, isRewindError } from "../../../shared/errors.ts";
import type { BackupFile, BackupManifest, LastDeploymentBackup } from "../../../shared/schemas/manifest.ts";
import { gunzipStream } from "../host/gunzip.ts";
import type { AgentConfig } from "../config.ts";
import { type NamedBackupPaths, namedBackupPaths, parseLastDeploymentBackup } from "../rollback/last-deployment-backup.ts";
import { agentVersion } from "../version.ts";
import { buildManifest } from "./build-manifest.ts";
import { ByteCount, DigestStream, discard } from "./digest.ts";
import { DumpTail } from "./dump-trailer.ts";
import { lastDeploymentFileName } from "./last-deployment-file.ts";
import { readManifest, writeManifest } from "./manifest-file.ts";

export type SeedAdoption =
  | { kind: "none"; reason: string }
  | { kind: "adopted"; dir: string; manifest: BackupManifest }
  | { kind: "refused"; dir: string; reason: string };

interface ReadFile extends Omit<BackupFile, "path"> {
  unpackedBytes: number;
  mtimeMs: number;
}

function refuse(message: string): never {
  throw new RewindError("BACKUP_INVALID", message);
}

/** One streamed read: sha256 and size of the file, gzip decompressed to the end, the dump's tail. */
async function readWhole(file: string, trailer: boolean, signal?: AbortSignal): Promise<ReadFile> {
  const info = await stat(file).catch((error: NodeJS.ErrnoException) => refuse(`${file}: ${error.message}`));
  const digest = new DigestStream({ pieces: true });
  const tail = new DumpTail();
  const unpacked = new ByteCount();
  try {
    await pipeline(createReadStream(file, { highWaterMark: 1024 * 1024 }), digest, gunzipStream(), tail, unpacked, discard(), { signal });
  } catch (error) {
    if (signal?.aborted) throw new RewindError("CANCELLED", `reading ${file} was cancelled`, { cause: error });
    refuse(`${file} is not a whole gzip file: ${(error as Error).message}`);
  }
  if (trailer && !tail.complete()) {
    refuse(`${file} has no '-- PostgreSQL database dump complete' trailer: pg_dump stopped before the end`);
  }
  return { ...digest.digest(), unpackedBytes: unpacked.bytes, mtimeMs: info.mtimeMs };
}

const fileFacts = ({ bytes, sha256, unpackedBytes, pieces }: ReadFile): Omit<BackupFile, "path"> => ({
  bytes,
  sha256,
  unpackedBytes,
  ...(pieces === undefined ? {} : { pieces }),
});

async function hasManifest(dir: string): Promise<boolean> {
  try {
    await readManifest(dir);
    return true;
  } catch (error) {
    if (isRewindError(error, "NOT_FOUND")) return false;
    throw error;
  }
}

/** The manifest the agent vouches for, from the seed's file and what reading each archive proved. */
async function describe(config: AgentConfig, named: NamedBackupPaths, last: LastDeploymentBackup, signal?: AbortSignal): Promise<BackupManifest> {
  const { project } = config;
  const { dir } = named;
  const read: ReadFile[] = [];
  let database: BackupManifest["database"];
  if (named.database !== undefined && project.database) {
    const file = named.database;
    if (!file.endsWith(".sql.gz")) refuse(`${file} is not a gzipped plain dump (.sql.gz), the only kind the seed's scripts write`);
    const whole = await readWhole(file, true, signal);
    read.push(whole);
    database = { name: project.database.name, format: "plain-gzip", file: { path: path.basename(file), ...fileFacts(whole) }, tables: [] };
  }
  let minio: BackupManifest["minio"];
  if (named.minio !== undefined && project.minio) {
    const file = named.minio;
    const whole = await readWhole(file, false, signal);
    read.push(whole);
    minio = {
      volume: project.minio.volume,
      file: { path: path.basename(file), ...fileFacts(whole) },
      buckets: [...project.minio.buckets],
    };
  }
  if (read.length === 0) refuse(`${lastDeploymentFileName} names no archive this agent's config restores (database or MinIO)`);
  // Created when its first archive was finished: the files' own time, whatever zone named the directory.
  const createdAt = new Date(Math.min(...read.map((r) => r.mtimeMs))).toISOString();
  return buildManifest({
    origin: "seed",
    backupId: path.basename(dir),
    host: config.host,
    composeProject: project.name,
    timestamp: last.DEPLOYMENT_TIMESTAMP,
    createdAt,
    git: { commit: last.GIT_COMMIT, branch: last.GIT_BRANCH },
    // The seed's scripts record no images: a rollback to it builds from the reverted checkout, as they do.
    services: [],
    ...(database ? { database } : {}),
    ...(minio ? { minio } : {}),
    agentVersion,
  });
}

/**
 * Adopts the backup `.last-deployment-backup` names when it has no manifest yet. `none`: nothing to
 * adopt; `refused`: the backup is not whole (or not where backups live), and stays unannounced.
 */
export async function adoptSeedBackup(config: AgentConfig, signal?: AbortSignal): Promise<SeedAdoption> {
  const source = path.join(config.project.dir, lastDeploymentFileName);
  const text = await readFile(source, "utf8").catch((error: NodeJS.ErrnoException) => {
    if (error.code === "ENOENT") return undefined;
    throw error;
  });
  if (text === undefined) return { kind: "none", reason: `no ${source}` };
  let dir = source;
  try {
    const last = parseLastDeploymentBackup(text, source);
    dir = path.resolve(config.project.dir, last.BACKUP_DIR);
    const named = await namedBackupPaths(last, config.project.dir, config.project.backupsDir, source);
    if (await hasManifest(dir)) return { kind: "none", reason: `${dir} already has a manifest` };
    const manifest = await describe(config, named, last, signal);
    await writeManifest(dir, manifest);
    return { kind: "adopted", dir, manifest };
  } catch (error) {
    if (!isRewindError(error, "BACKUP_INVALID")) throw error;
    return { kind: "refused", dir, reason: error.message };
  }
}

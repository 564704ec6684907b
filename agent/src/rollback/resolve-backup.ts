// Finds the backup a request names on this host's disk: a backup directory (with manifest.json), a
// backup id (searched under the backups directory), or "last" (the seed's `.last-deployment-backup`).
// A backup directory gone from the host comes back from the off-site copy when one is configured.
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { RewindError, isRewindError } from "../../../shared/errors.ts";
import type { BackupManifest } from "../../../shared/schemas/manifest.ts";
import { fetchBackup } from "../backup/fetch-missing.ts";
import type { ManifestTrust } from "../backup/offsite-manifest.ts";
import { isBackupDirName } from "../backup/layout.ts";
import { readManifest } from "../backup/manifest-file.ts";
import type { AgentConfig } from "../config.ts";
import { exists } from "../host/volume.ts";
import { parseLastDeploymentBackup } from "./last-deployment-backup.ts";
import type { LoadedBackup } from "./loaded-backup.ts";
import { commitOnly, fromLastDeployment, fromManifest } from "./loaded-backup.ts";
import type { BackupSelector, RollbackRequest } from "./request.ts";

async function readText(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw new RewindError("BACKUP_INVALID", `cannot read ${file}: ${(error as Error).message}`, { cause: error });
  }
}

/** The manifest in `dir`, undefined when it has none (the seed's backups have none). */
async function manifestIn(dir: string): Promise<BackupManifest | undefined> {
  try {
    return await readManifest(dir);
  } catch (error) {
    if (isRewindError(error, "NOT_FOUND")) return undefined;
    throw error;
  }
}

/**
 * The manifest of a backup directory that is gone from this host, fetched back with its files
 * from the off-site copy; undefined when the directory is here, or there is no off-site copy to
 * ask, or `dir` is not one of Rewind's backup directories.
 */
async function fetchedIfGone(config: AgentConfig, dir: string, trust: ManifestTrust, signal?: AbortSignal): Promise<BackupManifest | undefined> {
  const name = path.basename(dir);
  if (config.offsite === undefined || path.dirname(dir) !== config.project.backupsDir || !isBackupDirName(name)) return undefined;
  if (await exists(dir)) return undefined;
  return fetchBackup(config, name, trust, signal);
}

async function byId(config: AgentConfig, backupId: string, trust: ManifestTrust, signal?: AbortSignal): Promise<LoadedBackup> {
  const backupsDir = config.project.backupsDir;
  const entries = await readdir(backupsDir, { withFileTypes: true }).catch(() => []);
  for (const entry of entries.filter((e) => e.isDirectory())) {
    const dir = path.join(backupsDir, entry.name);
    const manifest = await manifestIn(dir);
    if (manifest?.backupId === backupId) return fromManifest(manifest, dir);
  }
  // Rewind names a backup's directory after its id.
  const dir = path.join(backupsDir, backupId);
  const fetched = await fetchedIfGone(config, dir, trust, signal);
  if (fetched?.backupId === backupId) return fromManifest(fetched, dir);
  throw new RewindError("NOT_FOUND", `no backup with id ${backupId} under ${backupsDir}`);
}

export async function resolveBackup(config: AgentConfig, selector: BackupSelector, signal?: AbortSignal): Promise<LoadedBackup> {
  if (selector.kind === "manifest") {
    const dir = path.resolve(selector.dir.endsWith("manifest.json") ? path.dirname(selector.dir) : selector.dir);
    const manifest = (await manifestIn(dir)) ?? (await fetchedIfGone(config, dir, {}, signal));
    if (!manifest) throw new RewindError("NOT_FOUND", `no manifest.json in ${dir}`);
    return fromManifest(manifest, dir);
  }
  if (selector.kind === "id") {
    return byId(config, selector.backupId, selector.manifestSha256 === undefined ? {} : { manifestSha256: selector.manifestSha256 }, signal);
  }
  const file = path.join(config.project.dir, ".last-deployment-backup");
  const text = await readText(file);
  if (text === undefined) {
    throw new RewindError("NOT_FOUND", `no backup information at ${file}; name a backup with --backup DIR`);
  }
  const last = parseLastDeploymentBackup(text, file);
  const seed = fromLastDeployment(last, config.project.dir, config.project.minio?.buckets ?? []);
  // A backup Rewind took carries a manifest beside the archives: richer (sha256s, images, row counts).
  const manifest = (await manifestIn(seed.dir)) ?? (await fetchedIfGone(config, seed.dir, {}, signal));
  if (manifest?.git.commit.startsWith(last.GIT_COMMIT.slice(0, 7))) return fromManifest(manifest, seed.dir);
  return seed;
}

/**
 * The backup a request restores. A code-only request naming a commit needs no backup (the seed's
 * emergency rollback): when none is found it goes to the commit alone.
 */
export async function resolveForRequest(
  config: AgentConfig,
  request: Pick<RollbackRequest, "backup" | "mode" | "commit">,
  signal?: AbortSignal,
): Promise<LoadedBackup> {
  try {
    return await resolveBackup(config, request.backup, signal);
  } catch (error) {
    if (request.mode === "code-only" && request.commit && isRewindError(error, "NOT_FOUND")) return commitOnly(request.commit, config.project.dir);
    throw error;
  }
}

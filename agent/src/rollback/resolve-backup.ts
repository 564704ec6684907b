// Finds the backup a request names on this host's disk: a backup directory (with manifest.json), a
// backup id (searched under the backups directory), or "last": the seed's `.last-deployment-backup`,
// unless it is missing or older than the newest verified backup (one with a manifest), which wins.
// Whichever it is, it must really lie in the backups directory (symlinks resolved).
// A backup directory gone from the host comes back from the off-site copy when one is configured.
import path from "node:path";
import { RewindError, isRewindError } from "../../../shared/errors.ts";
import { manifestSha256 } from "../../../shared/manifest-digest.ts";
import type { BackupManifest } from "../../../shared/schemas/manifest.ts";
import { type DatedBackup, datedBackup } from "../backup/created-at.ts";
import { fetchBackup } from "../backup/fetch-missing.ts";
import type { ManifestTrust } from "../backup/offsite-manifest.ts";
import { isBackupDirName } from "../backup/layout.ts";
import { readManifest } from "../backup/manifest-file.ts";
import { realPathInside } from "../backup/real-location.ts";
import { listBackupNames } from "../backup/retention.ts";
import type { AgentConfig } from "../config.ts";
import { exists } from "../host/volume.ts";
import { lastDeploymentFile, namedBackupPaths, readLastDeploymentBackup } from "./last-deployment-backup.ts";
import type { LoadedBackup } from "./loaded-backup.ts";
import { commitOnly, fromLastDeployment, fromManifest } from "./loaded-backup.ts";
import type { BackupSelector, RollbackRequest } from "./request.ts";
import { entriesIn } from "../host/dir-entries.ts";

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

/**
 * A signed command names the sha256 of the manifest this host reported for the backup: a manifest on
 * disk that no longer hashes to it was rewritten since (its file sha256s with it), so its files are
 * not the ones the host vouched for. Refused before anything is read from them.
 */
function sameAsReported(manifest: BackupManifest, dir: string, trust: ManifestTrust): BackupManifest {
  if (trust.manifestSha256 === undefined) return manifest;
  const actual = manifestSha256(manifest);
  if (actual !== trust.manifestSha256) {
    throw new RewindError(
      "BACKUP_INVALID",
      `the manifest in ${dir} hashes to ${actual}, but the signed command names ${trust.manifestSha256}, the manifest this host reported: it was changed on disk since; refused`,
      { details: { dir, sha256: actual, expected: trust.manifestSha256 } },
    );
  }
  return manifest;
}

async function byId(config: AgentConfig, backupId: string, trust: ManifestTrust, signal?: AbortSignal): Promise<LoadedBackup> {
  const backupsDir = config.project.backupsDir;
  const entries = await entriesIn(backupsDir);
  for (const entry of entries.filter((e) => e.isDirectory())) {
    const dir = path.join(backupsDir, entry.name);
    const manifest = await manifestIn(dir);
    if (manifest?.backupId === backupId) return fromManifest(sameAsReported(manifest, dir, trust), dir);
  }
  // Rewind names a backup's directory after its id.
  const dir = path.join(backupsDir, backupId);
  const fetched = await fetchedIfGone(config, dir, trust, signal);
  if (fetched?.backupId === backupId) return fromManifest(fetched, dir);
  throw new RewindError("NOT_FOUND", `no backup with id ${backupId} under ${backupsDir}`);
}

/** The newest backup of this host with a manifest (Rewind's, or a seed backup the agent verified), by creation time. */
async function newestVerified(config: AgentConfig): Promise<(DatedBackup & { manifest: BackupManifest }) | undefined> {
  let newest: (DatedBackup & { manifest: BackupManifest }) | undefined;
  for (const name of await listBackupNames(config.project.backupsDir)) {
    const dated = await datedBackup(path.join(config.project.backupsDir, name));
    const manifest = dated.manifest;
    if (manifest === undefined || manifest.host !== config.host) continue;
    if (newest === undefined || dated.createdAt > newest.createdAt) newest = { ...dated, manifest };
  }
  return newest;
}

async function last(config: AgentConfig, signal?: AbortSignal): Promise<LoadedBackup> {
  const file = lastDeploymentFile(config.project.dir);
  const [named, newest] = await Promise.all([readLastDeploymentBackup(config.project.dir), newestVerified(config)]);
  if (named === undefined) {
    if (newest !== undefined) return fromManifest(newest.manifest, newest.dir);
    throw new RewindError(
      "NOT_FOUND",
      `no backup information at ${file} and no backup with a manifest under ${config.project.backupsDir}; name a backup with --backup DIR`,
    );
  }
  await namedBackupPaths(named, config.project.dir, config.project.backupsDir, file);
  const seed = fromLastDeployment(named, config.project.dir, config.project.minio?.buckets ?? []);
  // A directory gone from the host is left to the off-site fetch below (or to preflight's clear refusal).
  const namedAt = await datedBackup(seed.dir).then(
    (d) => d.createdAt,
    () => undefined,
  );
  if (newest !== undefined && namedAt !== undefined && newest.dir !== seed.dir && newest.createdAt > namedAt) {
    return fromManifest(newest.manifest, newest.dir);
  }
  // A backup Rewind took carries a manifest beside the archives: richer (sha256s, images, row counts).
  const manifest = (await manifestIn(seed.dir)) ?? (await fetchedIfGone(config, seed.dir, {}, signal));
  if (manifest?.git.commit.startsWith(named.GIT_COMMIT.slice(0, 7))) return fromManifest(manifest, seed.dir);
  return seed;
}

/**
 * The backup, refused (BACKUP_INVALID naming the path) unless its directory and every file it
 * restores really are inside the backups directory: a symlink in a manifest's or the seed file's
 * paths, or a --backup directory elsewhere, would restore data from anywhere over the live data.
 */
async function whereBackupsLive(config: AgentConfig, backup: LoadedBackup): Promise<LoadedBackup> {
  await realPathInside(config.project.backupsDir, backup.dir, "backup directory", "the backups directory");
  const files: [string, string | undefined][] = [
    ["database dump", backup.database?.file],
    ["MinIO archive", backup.minio?.file],
    ["container configuration", backup.containers?.file],
  ];
  for (const [what, file] of files) {
    if (file !== undefined) await realPathInside(backup.dir, file, `the backup's ${what}`, "its backup directory");
  }
  return backup;
}

async function selected(config: AgentConfig, selector: BackupSelector, signal?: AbortSignal): Promise<LoadedBackup> {
  if (selector.kind === "manifest") {
    const dir = path.resolve(selector.dir.endsWith("manifest.json") ? path.dirname(selector.dir) : selector.dir);
    // Refused before anything in it is read.
    await realPathInside(config.project.backupsDir, dir, "backup directory", "the backups directory");
    const manifest = (await manifestIn(dir)) ?? (await fetchedIfGone(config, dir, {}, signal));
    if (!manifest) throw new RewindError("NOT_FOUND", `no manifest.json in ${dir}`);
    return fromManifest(manifest, dir);
  }
  if (selector.kind === "id") {
    return byId(config, selector.backupId, selector.manifestSha256 === undefined ? {} : { manifestSha256: selector.manifestSha256 }, signal);
  }
  return last(config, signal);
}

export async function resolveBackup(config: AgentConfig, selector: BackupSelector, signal?: AbortSignal): Promise<LoadedBackup> {
  return whereBackupsLive(config, await selected(config, selector, signal));
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

// When a backup's local archives are gone and the off-site copy is on, fetch them back, and let a
// file take its place only once its size and sha256 match the manifest. A whole backup directory
// comes back only with a manifest something the host trusts vouches for (offsite-manifest.ts).
import { mkdir, rename, rm, stat } from "node:fs/promises";
import path from "node:path";
import { RewindError } from "../../../shared/errors.ts";
import type { BackupManifest } from "../../../shared/schemas/manifest.ts";
import type { AgentConfig } from "../config.ts";
import { downloadFile, offsiteClient, offsiteKey } from "../host/offsite.ts";
import { manifestFiles } from "./integrity.ts";
import { manifestPath, readManifest, writeManifest } from "./manifest-file.ts";
import { type ManifestTrust, trustedOffsiteManifest } from "./offsite-manifest.ts";
import { realPathInside } from "./real-location.ts";

async function present(file: string): Promise<boolean> {
  try {
    await stat(file);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return false;
    throw error;
  }
}

/**
 * `relative` joined to `dir`, refused (BACKUP_INVALID) when it would land outside it. The manifest
 * schema already refuses such paths; this holds even for a manifest that skipped it.
 */
export function pathInside(dir: string, relative: string): string {
  const full = path.resolve(dir, relative);
  const back = path.relative(path.resolve(dir), full);
  if (path.isAbsolute(relative) || back === "" || back.startsWith("..") || path.isAbsolute(back)) {
    throw new RewindError("BACKUP_INVALID", `the manifest names ${JSON.stringify(relative)}, which is outside the backup directory ${dir}; refused`);
  }
  return full;
}

/**
 * Where a fetched file may be written: `relative` in `dir`, followed through every symlink (a
 * subdirectory or the file itself, dangling or not), refused BACKUP_INVALID unless it really lies
 * inside the backup directory. The real path is returned, so the file goes where it was checked.
 */
export async function fetchDestination(dir: string, relative: string): Promise<string> {
  return realPathInside(dir, pathInside(dir, relative), "the manifest's file", "its backup directory");
}

/** Paths (relative to `dir`) of the manifest's files that are not on disk. */
export async function missingFiles(dir: string, manifest: BackupManifest): Promise<string[]> {
  const missing: string[] = [];
  for (const { file } of manifestFiles(manifest)) {
    if (!(await present(pathInside(dir, file.path)))) missing.push(file.path);
  }
  return missing;
}

function offsiteFor(config: AgentConfig, what: string): NonNullable<AgentConfig["offsite"]> {
  if (config.offsite === undefined) {
    throw new RewindError("BACKUP_INVALID", `${what} is missing on this host and no off-site copy is configured (agent config \`offsite\`)`);
  }
  return config.offsite;
}

/**
 * Fetches every missing file of the backup in `dir` from the off-site bucket and returns the
 * fetched paths. A fetched file whose sha256 differs from the manifest is deleted: BACKUP_INVALID.
 */
export async function fetchMissingFiles(config: AgentConfig, dir: string, manifest: BackupManifest, signal?: AbortSignal): Promise<string[]> {
  const missing = await missingFiles(dir, manifest);
  if (missing.length === 0) return [];
  const target = offsiteFor(config, `${missing.join(", ")} of backup ${manifest.backupId}`);
  // Every destination is checked before the first byte is written: a refusal leaves nothing behind.
  const destinations = new Map<string, string>();
  for (const relative of missing) destinations.set(relative, await fetchDestination(dir, relative));
  const client = offsiteClient(target);
  const expected = new Map(manifestFiles(manifest).map(({ file }) => [file.path, file]));
  try {
    for (const relative of missing) {
      const file = expected.get(relative);
      const dest = destinations.get(relative);
      if (file === undefined || dest === undefined) continue;
      const partial = `${dest}.fetching`;
      // A leftover of an interrupted fetch (or anything planted under its name) goes; downloadFile creates it anew.
      await rm(partial, { force: true });
      const key = offsiteKey(target, config.host, path.basename(dir), relative);
      const got = await downloadFile(client, target.bucket, key, partial, signal);
      if (got.sha256 !== file.sha256 || got.bytes !== file.bytes) {
        await rm(partial, { force: true });
        throw new RewindError(
          "BACKUP_INVALID",
          `the off-site copy s3://${target.bucket}/${key} does not match the manifest (sha256 ${got.sha256}, ${got.bytes} bytes; expected ${file.sha256}, ${file.bytes} bytes)`,
          { details: { key, sha256: got.sha256, expected: file.sha256 } },
        );
      }
      await rename(partial, dest);
    }
  } finally {
    client.destroy();
  }
  return missing;
}

/**
 * Brings back a backup whose whole directory is gone: its manifest first (schema-checked and vouched
 * for by `trust` or this host's signature), then its files. Returns the manifest.
 */
export async function fetchBackup(config: AgentConfig, name: string, trust: ManifestTrust, signal?: AbortSignal): Promise<BackupManifest> {
  const dir = path.join(config.project.backupsDir, name);
  // A symlink left under the backup's name (dangling too) would take the manifest and files elsewhere.
  await realPathInside(config.project.backupsDir, dir, "backup directory", "the backups directory");
  if (!(await present(manifestPath(dir)))) {
    const target = offsiteFor(config, `backup ${name}`);
    const client = offsiteClient(target);
    let fetched: BackupManifest;
    try {
      fetched = await trustedOffsiteManifest(config, client, target, name, trust, signal);
    } finally {
      client.destroy();
    }
    const created = (await mkdir(dir, { recursive: true })) !== undefined;
    try {
      await writeManifest(dir, fetched);
    } catch (error) {
      // An empty directory would pass for a backup; leave the host as it was.
      if (created) await rm(dir, { recursive: true, force: true });
      throw error;
    }
  }
  const manifest = await readManifest(dir);
  await fetchMissingFiles(config, dir, manifest, signal);
  return manifest;
}

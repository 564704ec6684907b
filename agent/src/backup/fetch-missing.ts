// When a backup's local archives are gone and the off-site copy is on, fetch them back, and let a
// file take its place only once its size and sha256 match the manifest.
import { mkdir, rename, rm, stat } from "node:fs/promises";
import path from "node:path";
import { RewindError } from "../../../shared/errors.ts";
import type { BackupManifest } from "../../../shared/schemas/manifest.ts";
import type { AgentConfig } from "../config.ts";
import { downloadFile, offsiteClient, offsiteKey } from "../host/offsite.ts";
import { manifestFiles } from "./integrity.ts";
import { manifestFileName } from "./layout.ts";
import { manifestPath, readManifest } from "./manifest-file.ts";

async function present(file: string): Promise<boolean> {
  try {
    await stat(file);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return false;
    throw error;
  }
}

/** Paths (relative to `dir`) of the manifest's files that are not on disk. */
export async function missingFiles(dir: string, manifest: BackupManifest): Promise<string[]> {
  const missing: string[] = [];
  for (const { file } of manifestFiles(manifest)) {
    if (!(await present(path.join(dir, file.path)))) missing.push(file.path);
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
export async function fetchMissingFiles(
  config: AgentConfig,
  dir: string,
  manifest: BackupManifest,
  signal?: AbortSignal,
): Promise<string[]> {
  const missing = await missingFiles(dir, manifest);
  if (missing.length === 0) return [];
  const target = offsiteFor(config, `${missing.join(", ")} of backup ${manifest.backupId}`);
  const client = offsiteClient(target);
  const expected = new Map(manifestFiles(manifest).map(({ file }) => [file.path, file]));
  try {
    for (const relative of missing) {
      const file = expected.get(relative);
      if (file === undefined) continue;
      const dest = path.join(dir, relative);
      const partial = `${dest}.fetching`;
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
 * Brings back a backup whose whole directory is gone: its manifest first (validated by the shared
 * schema), then its files. Returns the manifest.
 */
export async function fetchBackup(config: AgentConfig, name: string, signal?: AbortSignal): Promise<BackupManifest> {
  const dir = path.join(config.project.backupsDir, name);
  if (!(await present(manifestPath(dir)))) {
    const target = offsiteFor(config, `backup ${name}`);
    const created = (await mkdir(dir, { recursive: true })) !== undefined;
    const client = offsiteClient(target);
    try {
      const partial = `${manifestPath(dir)}.fetching`;
      await downloadFile(client, target.bucket, offsiteKey(target, config.host, name, manifestFileName), partial, signal);
      await rename(partial, manifestPath(dir));
    } catch (error) {
      // An empty directory would pass for a backup; leave the host as it was.
      if (created) await rm(dir, { recursive: true, force: true });
      throw error;
    } finally {
      client.destroy();
    }
  }
  const manifest = await readManifest(dir);
  await fetchMissingFiles(config, dir, manifest, signal);
  return manifest;
}

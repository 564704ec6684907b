// The manifests of the backups on this host's disk, newest first: what the agent announces to the
// control plane when it connects, so backups taken by hand (or while offline) are known there too.
import { readdir } from "node:fs/promises";
import path from "node:path";
import type { BackupManifest } from "../../../shared/schemas/manifest.ts";
import type { AgentConfig } from "../config.ts";
import { isBackupDirName } from "./layout.ts";
import { readManifest } from "./manifest-file.ts";

export interface LocalManifests {
  manifests: BackupManifest[];
  /** Backup directories whose manifest could not be read, with why. */
  unreadable: { dir: string; reason: string }[];
}

export async function localManifests(config: AgentConfig, limit = 20): Promise<LocalManifests> {
  const backupsDir = config.project.backupsDir;
  const entries = await readdir(backupsDir, { withFileTypes: true }).catch((error: NodeJS.ErrnoException) => {
    if (error.code === "ENOENT") return [];
    throw error;
  });
  // Timestamped names sort chronologically, so the newest come first without reading anything.
  const dirs = entries
    .filter((entry) => entry.isDirectory() && isBackupDirName(entry.name))
    .map((entry) => entry.name)
    .sort()
    .reverse()
    .slice(0, limit);
  const found: LocalManifests = { manifests: [], unreadable: [] };
  for (const name of dirs) {
    const dir = path.join(backupsDir, name);
    try {
      const manifest = await readManifest(dir);
      if (manifest.host === config.host) found.manifests.push(manifest);
    } catch (error) {
      found.unreadable.push({ dir, reason: error instanceof Error ? error.message : String(error) });
    }
  }
  return found;
}

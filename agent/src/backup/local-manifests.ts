// The manifests of the backups on this host's disk, newest first by creation time: what the agent
// announces to the control plane when it connects, so backups taken by hand (or while offline), and
// the seed's backups the agent verified (origin `seed`), are known there too.
import path from "node:path";
import type { BackupManifest } from "../../../shared/schemas/manifest.ts";
import type { AgentConfig } from "../config.ts";
import { datedBackup } from "./created-at.ts";
import { listBackupNames } from "./retention.ts";

export interface LocalManifests {
  manifests: BackupManifest[];
  /** Backup directories whose manifest could not be read, with why. */
  unreadable: { dir: string; reason: string }[];
}

export async function localManifests(config: AgentConfig, limit = 20): Promise<LocalManifests> {
  const backupsDir = config.project.backupsDir;
  const dated = [];
  for (const name of await listBackupNames(backupsDir)) dated.push(await datedBackup(path.join(backupsDir, name)));
  // Directory names are no clock (the seed names in local time, Rewind in UTC).
  const manifests = dated
    .filter((d) => d.manifest !== undefined && d.manifest.host === config.host)
    .sort((a, b) => b.createdAt - a.createdAt)
    .slice(0, limit)
    .flatMap((d) => (d.manifest === undefined ? [] : [d.manifest]));
  const unreadable = dated.flatMap(({ dir, manifestProblem }) => (manifestProblem === undefined ? [] : [{ dir, reason: manifestProblem }]));
  return { manifests, unreadable };
}

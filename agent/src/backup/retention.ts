// Applies the retention plan on disk: lists the backups with their creation times, finds which one a
// running rollback uses (from its lock file) and which one `.last-deployment-backup` names, deletes
// the rest beyond the newest N and drops their images' keep tags.
import { readdir, rm } from "node:fs/promises";
import path from "node:path";
import type Docker from "dockerode";
import type { AgentConfig } from "../config.ts";
import { readLastDeploymentBackup } from "../rollback/last-deployment-backup.ts";
import { readRollbackLock } from "../rollback/lock-file.ts";
import { datedBackup } from "./created-at.ts";
import { untagImages } from "./keep-images.ts";
import { isBackupDirName } from "./layout.ts";
import { readManifest } from "./manifest-file.ts";
import { type BackupEntry, type InUse, planRetention } from "./retention-plan.ts";

export async function listBackupNames(backupsDir: string): Promise<string[]> {
  try {
    const entries = await readdir(backupsDir, { withFileTypes: true });
    return entries.filter((entry) => entry.isDirectory() && isBackupDirName(entry.name)).map((entry) => entry.name);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw error;
  }
}

export async function backupInUse(config: AgentConfig): Promise<InUse> {
  let lock: Awaited<ReturnType<typeof readRollbackLock>>;
  try {
    lock = await readRollbackLock(config.stateDir);
  } catch (error) {
    return { kind: "unknown", reason: (error as Error).message };
  }
  if (lock === undefined) return { kind: "none" };
  if (lock.backupDir === undefined) {
    return { kind: "unknown", reason: `rollback ${lock.rollbackId} holds the lock without naming its backup` };
  }
  // Relative paths are as in `.last-deployment-backup`: relative to the project directory.
  return { kind: "backup", name: path.basename(path.resolve(config.project.dir, lock.backupDir)), rollbackId: lock.rollbackId };
}

/** The backup directory `.last-deployment-backup` names, by name; unknown when the file cannot be read. */
async function lastDeploymentName(config: AgentConfig): Promise<{ name?: string; unknown?: string }> {
  try {
    const last = await readLastDeploymentBackup(config.project.dir);
    return last === undefined ? {} : { name: path.basename(path.resolve(config.project.dir, last.BACKUP_DIR)) };
  } catch (error) {
    return { unknown: (error as Error).message };
  }
}

export async function datedBackups(backupsDir: string): Promise<BackupEntry[]> {
  const entries: BackupEntry[] = [];
  for (const name of await listBackupNames(backupsDir)) {
    entries.push({ name, createdAt: (await datedBackup(path.join(backupsDir, name))).createdAt });
  }
  return entries;
}

export interface RetentionResult {
  kept: string[];
  removed: string[];
  notes: string[];
}

export async function pruneBackups(config: AgentConfig, docker: Docker): Promise<RetentionResult> {
  const backupsDir = config.project.backupsDir;
  const last = await lastDeploymentName(config);
  let inUse = await backupInUse(config);
  // A file we cannot read may name any backup (the seed may be writing it): keep them all this time.
  if (last.unknown !== undefined && inUse.kind === "none") inUse = { kind: "unknown", reason: last.unknown };
  const plan = planRetention(await datedBackups(backupsDir), config.retention.backups, inUse, last.name);
  const notes = [...plan.notes];
  for (const name of plan.remove) {
    const dir = path.join(backupsDir, name);
    // A backup without a readable manifest has no tags to drop; its directory still goes.
    const manifest = await readManifest(dir).catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
    const tags = (manifest?.services ?? []).flatMap((service) => (service.keepTag === undefined ? [] : [service.keepTag]));
    const { inUse } = await untagImages(docker, tags);
    for (const tag of inUse) notes.push(`image tag ${tag} kept: a container still uses the image`);
  }
  return { kept: plan.keep, removed: plan.remove, notes };
}

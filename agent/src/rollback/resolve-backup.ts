// Finds the backup a request names on this host's disk: a backup directory (with manifest.json), a
// backup id (searched under the backups directory), or "last" (the seed's `.last-deployment-backup`).
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import type { AgentConfig } from "../config.ts";
import { RewindError } from "../../../shared/errors.ts";
import { backupManifest } from "../../../shared/schemas/manifest.ts";
import type { BackupManifest } from "../../../shared/schemas/manifest.ts";
import { describeIssues } from "../../../shared/schemas/zod-error.ts";
import { parseLastDeploymentBackup } from "./last-deployment-backup.ts";
import type { LoadedBackup } from "./loaded-backup.ts";
import { commitOnly, fromLastDeployment, fromManifest } from "./loaded-backup.ts";
import type { BackupSelector, RollbackRequest } from "./request.ts";
import { isRewindError } from "../../../shared/errors.ts";

async function readText(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw new RewindError("BACKUP_INVALID", `cannot read ${file}: ${(error as Error).message}`, { cause: error });
  }
}

async function readManifest(dir: string): Promise<BackupManifest | undefined> {
  const file = path.join(dir, "manifest.json");
  const text = await readText(file);
  if (text === undefined) return undefined;
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new RewindError("BACKUP_INVALID", `${file} is not valid JSON: ${(error as Error).message}`, { cause: error });
  }
  const result = backupManifest.safeParse(raw);
  if (!result.success) throw new RewindError("BACKUP_INVALID", `${file}: ${describeIssues(result.error)}`);
  return result.data;
}

async function byId(backupsDir: string, backupId: string): Promise<LoadedBackup> {
  const entries = await readdir(backupsDir, { withFileTypes: true }).catch(() => []);
  for (const entry of entries.filter((e) => e.isDirectory())) {
    const dir = path.join(backupsDir, entry.name);
    const manifest = await readManifest(dir);
    if (manifest?.backupId === backupId) return fromManifest(manifest, dir);
  }
  throw new RewindError("NOT_FOUND", `no backup with id ${backupId} under ${backupsDir}`);
}

export async function resolveBackup(config: AgentConfig, selector: BackupSelector): Promise<LoadedBackup> {
  if (selector.kind === "manifest") {
    const dir = path.resolve(selector.dir.endsWith("manifest.json") ? path.dirname(selector.dir) : selector.dir);
    const manifest = await readManifest(dir);
    if (!manifest) throw new RewindError("NOT_FOUND", `no manifest.json in ${dir}`);
    return fromManifest(manifest, dir);
  }
  if (selector.kind === "id") return byId(config.project.backupsDir, selector.backupId);
  const file = path.join(config.project.dir, ".last-deployment-backup");
  const text = await readText(file);
  if (text === undefined) {
    throw new RewindError("NOT_FOUND", `no backup information at ${file}; name a backup with --backup DIR`);
  }
  const last = parseLastDeploymentBackup(text, file);
  const seed = fromLastDeployment(last, config.project.dir, config.project.minio?.buckets ?? []);
  // A backup Rewind took carries a manifest beside the archives: richer (sha256s, images, row counts).
  const manifest = await readManifest(seed.dir);
  if (manifest?.git.commit.startsWith(last.GIT_COMMIT.slice(0, 7))) return fromManifest(manifest, seed.dir);
  return seed;
}

/**
 * The backup a request restores. A code-only request naming a commit needs no backup (the seed's
 * emergency rollback): when none is found it goes to the commit alone.
 */
export async function resolveForRequest(config: AgentConfig, request: Pick<RollbackRequest, "backup" | "mode" | "commit">): Promise<LoadedBackup> {
  try {
    return await resolveBackup(config, request.backup);
  } catch (error) {
    if (request.mode === "code-only" && request.commit && isRewindError(error, "NOT_FOUND")) return commitOnly(request.commit, config.project.dir);
    throw error;
  }
}

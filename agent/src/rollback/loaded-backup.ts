// The backup a rollback restores, whatever it was described by: a manifest (preferred: sha256s,
// image ids, row counts) or the seed's `.last-deployment-backup` (paths and commit only).
import path from "node:path";
import * as z from "zod";
import { gitCommit, imageId, sha256Hex } from "../../../shared/schemas/common.ts";
import type { BackupFile, BackupManifest, LastDeploymentBackup } from "../../../shared/schemas/manifest.ts";
import { originOf, serviceImage, tableCount } from "../../../shared/schemas/manifest.ts";
import { recordedContainer, recordedNetwork } from "../backup/container-config.ts";

export const loadedBackup = z.strictObject({
  /** `commit`: a code-only rollback to a named commit on a host with no backup at all. */
  source: z.enum(["manifest", "last-deployment-backup", "commit"]),
  dir: z.string().min(1),
  backupId: z.string().optional(),
  timestamp: z.string(),
  commit: gitCommit,
  branch: z.string().min(1),
  services: z.array(serviceImage),
  /** The manifest's `containers.json` entry: each container's configuration at backup time. */
  containers: z.strictObject({ file: z.string().min(1), sha256: sha256Hex, bytes: z.number().int().nonnegative() }).optional(),
  database: z
    .strictObject({
      file: z.string().min(1),
      /** pg_dump's format; absent means the seed's gzipped plain SQL. */
      format: z.enum(["plain-gzip", "custom", "directory"]).optional(),
      sha256: z.optional(sha256Hex),
      bytes: z.number().int().nonnegative().optional(),
      unpackedBytes: z.number().int().nonnegative().optional(),
      pieces: z.array(sha256Hex).optional(),
      tables: z.array(tableCount).optional(),
    })
    .optional(),
  minio: z
    .strictObject({
      file: z.string().min(1),
      sha256: z.optional(sha256Hex),
      bytes: z.number().int().nonnegative().optional(),
      unpackedBytes: z.number().int().nonnegative().optional(),
      pieces: z.array(sha256Hex).optional(),
      buckets: z.array(z.string().min(1)),
    })
    .optional(),
});
export type LoadedBackup = z.output<typeof loadedBackup>;

/** Where the rollback goes: the commit and, per service, the image to run. */
export const rollbackTarget = z.strictObject({
  backup: loadedBackup,
  commit: gitCommit,
  branch: z.string().min(1),
  images: z.record(z.string(), z.strictObject({ imageId, keepTag: z.string().optional(), imageRef: z.string().optional() })),
  /** The containers to recreate exactly (sha256-checked when loaded); absent: Compose from the checkout. */
  containers: z.array(recordedContainer).optional(),
  /** The networks those containers join, created again when gone. */
  networks: z.array(recordedNetwork).optional(),
});
export type RollbackTarget = z.output<typeof rollbackTarget>;

/** What proves a file whole: size and sha256, a gzip archive's decompressed size and its pieces' sha256 when recorded. */
function fileFacts(file: BackupFile): { sha256: string; bytes: number; unpackedBytes?: number; pieces?: string[] } {
  return {
    sha256: file.sha256,
    bytes: file.bytes,
    ...(file.unpackedBytes === undefined ? {} : { unpackedBytes: file.unpackedBytes }),
    ...(file.pieces === undefined ? {} : { pieces: file.pieces }),
  };
}

export function fromManifest(manifest: BackupManifest, dir: string): LoadedBackup {
  return {
    source: "manifest",
    dir,
    backupId: manifest.backupId,
    timestamp: manifest.timestamp,
    commit: manifest.git.commit,
    branch: manifest.git.branch,
    services: manifest.services,
    ...(manifest.containers
      ? { containers: { file: path.resolve(dir, manifest.containers.path), sha256: manifest.containers.sha256, bytes: manifest.containers.bytes } }
      : {}),
    ...(manifest.database
      ? {
          database: {
            file: path.resolve(dir, manifest.database.file.path),
            format: manifest.database.format,
            ...fileFacts(manifest.database.file),
            // The seed's scripts count no rows: its manifest's empty list means "unknown", not "no tables".
            ...(originOf(manifest) === "seed" ? {} : { tables: manifest.database.tables }),
          },
        }
      : {}),
    ...(manifest.minio
      ? {
          minio: {
            file: path.resolve(dir, manifest.minio.file.path),
            ...fileFacts(manifest.minio.file),
            buckets: manifest.minio.buckets,
          },
        }
      : {}),
  };
}

/** The seed's file names paths relative to the project directory (`./backups/…`). */
export function fromLastDeployment(file: LastDeploymentBackup, projectDir: string, minioBuckets: readonly string[]): LoadedBackup {
  return {
    source: "last-deployment-backup",
    dir: path.resolve(projectDir, file.BACKUP_DIR),
    timestamp: file.DEPLOYMENT_TIMESTAMP,
    commit: file.GIT_COMMIT,
    branch: file.GIT_BRANCH,
    services: [],
    ...(file.DB_BACKUP_FILE === "" ? {} : { database: { file: path.resolve(projectDir, file.DB_BACKUP_FILE) } }),
    ...(file.MINIO_BACKUP_FILE === "" ? {} : { minio: { file: path.resolve(projectDir, file.MINIO_BACKUP_FILE), buckets: [...minioBuckets] } }),
  };
}

/** The seed's emergency path: no backup, only a commit to return to (images rebuilt from it or kept). */
export function commitOnly(commit: string, projectDir: string): LoadedBackup {
  return { source: "commit", dir: projectDir, timestamp: "none", commit, branch: "HEAD", services: [] };
}

/** Code-only rollbacks may name their own commit; full ones go where the backup was taken. */
export function targetOf(backup: LoadedBackup, commitOverride?: string): RollbackTarget {
  const images = Object.fromEntries(
    backup.services.map((s) => [
      s.service,
      { imageId: s.imageId, ...(s.keepTag ? { keepTag: s.keepTag } : {}), ...(s.imageRef ? { imageRef: s.imageRef } : {}) },
    ]),
  );
  return {
    backup,
    commit: commitOverride ?? backup.commit,
    branch: commitOverride ? "HEAD" : backup.branch,
    images,
  };
}

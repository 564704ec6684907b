// The backup manifest: what a pre-deployment backup holds, written beside the archives on the host
// and sent up (signed) to the control plane, which stores it in S3 and indexes it.
import * as z from "zod";
import { gitCommit, hostName, id, imageId, isoTime, sha256Hex } from "./common.ts";

export const backupFile = z.strictObject({
  /** Path relative to the backup directory. */
  path: z.string().min(1),
  bytes: z.number().int().nonnegative(),
  sha256: sha256Hex,
});

export const serviceImage = z.strictObject({
  service: z.string().min(1),
  imageId,
  /** The tag Rewind put on the image so `docker image prune` keeps it. */
  keepTag: z.string().min(1).optional(),
  /** Reference the service was started from (e.g. app/backend:1.4), kept for rebuild fallbacks. */
  imageRef: z.string().min(1).optional(),
});

export const tableCount = z.strictObject({
  schema: z.string().min(1),
  table: z.string().min(1),
  rows: z.number().int().nonnegative(),
});

export const backupManifest = z.strictObject({
  version: z.literal(1),
  backupId: id,
  host: hostName,
  composeProject: z.string().min(1),
  /** The seed's DEPLOYMENT_TIMESTAMP, e.g. 20241130_143022. */
  timestamp: z.string().regex(/^\d{8}_\d{6}$/),
  createdAt: isoTime,
  git: z.strictObject({ commit: gitCommit, branch: z.string().min(1) }),
  services: z.array(serviceImage),
  database: z
    .strictObject({
      name: z.string().min(1),
      format: z.enum(["plain-gzip", "custom", "directory"]),
      file: backupFile,
      tables: z.array(tableCount),
    })
    .optional(),
  minio: z
    .strictObject({
      volume: z.string().min(1),
      file: backupFile,
      buckets: z.array(z.string().min(1)),
    })
    .optional(),
  agentVersion: z.string().min(1),
});

export type BackupFile = z.output<typeof backupFile>;
export type ServiceImage = z.output<typeof serviceImage>;
export type TableCount = z.output<typeof tableCount>;
export type BackupManifest = z.output<typeof backupManifest>;

/** The seed runbook's `.last-deployment-backup` (KEY=VALUE lines). */
export const lastDeploymentBackup = z.strictObject({
  DEPLOYMENT_TIMESTAMP: z.string().regex(/^\d{8}_\d{6}$/, "must look like 20241130_143022"),
  BACKUP_DIR: z.string().min(1),
  DB_BACKUP_FILE: z.string().min(1),
  MINIO_BACKUP_FILE: z.string().min(1),
  GIT_COMMIT: gitCommit,
  GIT_BRANCH: z.string().min(1),
});
export type LastDeploymentBackup = z.output<typeof lastDeploymentBackup>;

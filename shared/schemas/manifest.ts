// The backup manifest: what a pre-deployment backup holds, written beside the archives on the host
// and sent up (signed) to the control plane, which stores it in S3 and indexes it.
import * as z from "./zod.ts";
import { gitCommit, hostName, id, imageId, isoTime, sha256Hex } from "./common.ts";

/**
 * A path inside the backup directory: relative, no `..` segment, no backslash or NUL. The agent
 * writes files there as root, and a manifest may come back from an off-site bucket.
 */
export const backupRelativePath = z.string().check(
  z.minLength(1),
  z.maxLength(255),
  z.refine(
    (value) => !value.startsWith("/") && !/[\\\0]/.test(value) && value.split("/").every((segment) => segment !== ".." && segment !== "." && segment !== ""),
    "must be a relative path inside the backup directory (no leading '/', no '.' or '..' segment, no backslash)",
  ),
);

/**
 * A file's `pieces` are the sha256 of each consecutive PIECE_BYTES of it (the last one shorter), so a
 * restore can check every piece before it uses a byte of it, in the one read that restores. A file
 * would have more than MAX_PIECES is described by its sha256 alone (the manifest stays small; such a
 * file is read whole once more before a restore instead).
 */
export const PIECE_BYTES = 16 * 1024 * 1024;
export const MAX_PIECES = 128;

/** How many pieces a file of `bytes` has. */
export const pieceCount = (bytes: number): number => Math.ceil(bytes / PIECE_BYTES);

export const backupFile = z
  .strictObject({
    /** Path relative to the backup directory. */
    path: backupRelativePath,
    bytes: z.number().check(z.int(), z.nonnegative()),
    sha256: sha256Hex,
    /**
     * A gzip archive's decompressed size, counted by the agent as it wrote the file (or read it whole,
     * checking its gzip and dump trailer). With the sha256 it spares a rollback's preflight a second
     * decompression: bytes equal to those proven whole are whole. Absent in older manifests.
     */
    unpackedBytes: z.optional(z.number().check(z.int(), z.nonnegative())),
    /** Each PIECE_BYTES of the file's sha256, in order (see PIECE_BYTES). Absent in older manifests. */
    pieces: z.optional(z.array(sha256Hex).check(z.minLength(1), z.maxLength(MAX_PIECES))),
  })
  .check(
    z.refine((file) => file.pieces === undefined || file.pieces.length === pieceCount(file.bytes), {
      message: `pieces must hold one sha256 per ${PIECE_BYTES} bytes of the file`,
      path: ["pieces"],
    }),
  );

export const serviceImage = z.strictObject({
  service: z.string().check(z.minLength(1)),
  imageId,
  /** The tag Rewind put on the image so `docker image prune` keeps it. */
  keepTag: z.optional(z.string().check(z.minLength(1))),
  /** Reference the service was started from (e.g. app/backend:1.4), kept for rebuild fallbacks. */
  imageRef: z.optional(z.string().check(z.minLength(1))),
});

export const tableCount = z.strictObject({
  schema: z.string().check(z.minLength(1)),
  table: z.string().check(z.minLength(1)),
  rows: z.number().check(z.int(), z.nonnegative()),
});

/**
 * Who made a backup: `rewind` (its own backup, with images and row counts) or `seed` (the seed's
 * scripts: `pg_dump | gzip` and a MinIO tarball, verified and described by the agent afterwards).
 */
export const backupOrigin = z.enum(["rewind", "seed"]);
export type BackupOrigin = z.output<typeof backupOrigin>;

export const backupManifest = z.strictObject({
  version: z.literal(1),
  /** Absent in manifests written before origins existed: those are all Rewind's. */
  origin: z.optional(backupOrigin),
  backupId: id,
  host: hostName,
  composeProject: z.string().check(z.minLength(1)),
  /** The seed's DEPLOYMENT_TIMESTAMP, e.g. 20241130_143022. */
  timestamp: z.string().check(z.regex(/^\d{8}_\d{6}$/)),
  createdAt: isoTime,
  git: z.strictObject({ commit: gitCommit, branch: z.string().check(z.minLength(1)) }),
  services: z.array(serviceImage),
  /**
   * Each container's configuration as it ran (create spec, running or exited), kept on the host in
   * this file (it holds env values): only its size and sha256 travel. Absent in older backups.
   */
  containers: z.optional(backupFile),
  database: z.optional(
    z.strictObject({
      name: z.string().check(z.minLength(1)),
      format: z.enum(["plain-gzip", "custom", "directory"]),
      file: backupFile,
      tables: z.array(tableCount),
    }),
  ),
  minio: z.optional(
    z.strictObject({
      volume: z.string().check(z.minLength(1)),
      file: backupFile,
      buckets: z.array(z.string().check(z.minLength(1))),
    }),
  ),
  agentVersion: z.string().check(z.minLength(1)),
});

export type BackupFile = z.output<typeof backupFile>;
export type ServiceImage = z.output<typeof serviceImage>;
export type TableCount = z.output<typeof tableCount>;
export type BackupManifest = z.output<typeof backupManifest>;

export const originOf = (manifest: Pick<BackupManifest, "origin">): BackupOrigin => manifest.origin ?? "rewind";

/**
 * The seed runbook's `.last-deployment-backup` (KEY=VALUE lines). A project without MinIO (or
 * without a database) writes that file's key empty: `source` then sets it to "" (safe under
 * `set -u`), and the seed's `[ -f "$MINIO_BACKUP_FILE" ]` is simply false. Empty and absent mean
 * the backup has no such archive; one of the two archives is always there.
 */
export const lastDeploymentBackup = z
  .strictObject({
    DEPLOYMENT_TIMESTAMP: z.string().check(z.regex(/^\d{8}_\d{6}$/, "must look like 20241130_143022")),
    BACKUP_DIR: z.string().check(z.minLength(1)),
    DB_BACKUP_FILE: z._default(z.string(), ""),
    MINIO_BACKUP_FILE: z._default(z.string(), ""),
    GIT_COMMIT: gitCommit,
    GIT_BRANCH: z.string().check(z.minLength(1)),
  })
  .check(
    z.refine((file) => file.DB_BACKUP_FILE !== "" || file.MINIO_BACKUP_FILE !== "", {
      message: "names neither a DB_BACKUP_FILE nor a MINIO_BACKUP_FILE",
    }),
  );
export type LastDeploymentBackup = z.output<typeof lastDeploymentBackup>;

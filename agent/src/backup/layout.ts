// Where a backup lives, in the seed's layout: `<backupsDir>/pre-deployment-<TS>/db_<TS>.sql.gz`
// and `minio_<TS>.tar.gz`, plus Rewind's `manifest.json`. Pure names, no I/O.
import path from "node:path";
import type { DumpFormat } from "../host/pg-dump.ts";

export const backupDirPrefix = "pre-deployment-";
export const manifestFileName = "manifest.json";
const timestampPattern = /^\d{8}_\d{6}$/;

const two = (n: number): string => String(n).padStart(2, "0");

/** The seed's `date +%Y%m%d_%H%M%S`, in UTC so hosts in different zones sort the same way. */
export function formatTimestamp(date: Date): string {
  const day = `${date.getUTCFullYear()}${two(date.getUTCMonth() + 1)}${two(date.getUTCDate())}`;
  return `${day}_${two(date.getUTCHours())}${two(date.getUTCMinutes())}${two(date.getUTCSeconds())}`;
}

/** True for `pre-deployment-<TS>`: the only directories retention and lookups consider backups. */
export function isBackupDirName(name: string): boolean {
  return name.startsWith(backupDirPrefix) && timestampPattern.test(name.slice(backupDirPrefix.length));
}

export function dbFileName(timestamp: string, format: DumpFormat): string {
  return format === "custom" ? `db_${timestamp}.dump` : `db_${timestamp}.sql.gz`;
}

export const minioFileName = (timestamp: string): string => `minio_${timestamp}.tar.gz`;

export interface BackupLayout {
  /** `pre-deployment-<TS>`: also the backup's id. */
  name: string;
  dir: string;
  /**
   * Files are written here and the directory renamed to `dir` only once complete, so a crashed
   * backup never looks like a backup. The leading dot keeps it out of `pre-deployment-*` globs.
   */
  stagingDir: string;
}

export const stagingPrefix = ".partial-";

export function backupLayout(backupsDir: string, timestamp: string): BackupLayout {
  const name = `${backupDirPrefix}${timestamp}`;
  return { name, dir: path.join(backupsDir, name), stagingDir: path.join(backupsDir, `${stagingPrefix}${name}`) };
}

// Proves a backup's files are whole: each is present, has the manifest's size and sha256, and
// every gzip stream decompresses to the end (a flipped byte fails the CRC). One streamed read per file.
import { createReadStream } from "node:fs";
import path from "node:path";
import { pipeline } from "node:stream/promises";
import { createGunzip } from "node:zlib";
import { RewindError } from "../../../shared/errors.ts";
import type { BackupFile, BackupManifest } from "../../../shared/schemas/manifest.ts";
import { type Digest, DigestStream, discard } from "./digest.ts";

export interface ManifestFile {
  role: "database" | "minio";
  file: BackupFile;
  /** Whether the file is a gzip stream to test in full. */
  gzip: boolean;
}

/** The archive files a manifest lists, with how each is checked. */
export function manifestFiles(manifest: BackupManifest): ManifestFile[] {
  const files: ManifestFile[] = [];
  if (manifest.database) {
    files.push({ role: "database", file: manifest.database.file, gzip: manifest.database.format === "plain-gzip" });
  }
  if (manifest.minio) files.push({ role: "minio", file: manifest.minio.file, gzip: true });
  return files;
}

export type FileProblem = "missing" | "unreadable" | "size" | "sha256" | "gzip";

export interface FileCheck {
  path: string;
  problem?: FileProblem;
  detail?: string;
}

/** A gzip failure is reported as such: the read stops there, so the digest is then incomplete. */
async function readDigest(file: string, gzip: boolean, signal?: AbortSignal): Promise<Digest & { gzipError?: string }> {
  const digest = new DigestStream();
  if (!gzip) {
    await pipeline(createReadStream(file), digest, discard(), { signal });
    return digest.digest();
  }
  try {
    await pipeline(createReadStream(file), digest, createGunzip(), discard(), { signal });
  } catch (error) {
    if (signal?.aborted || (error as NodeJS.ErrnoException).code?.startsWith("Z_") !== true) throw error;
    return { ...digest.digest(), gzipError: (error as Error).message };
  }
  return digest.digest();
}

export async function checkFile(dir: string, entry: ManifestFile, signal?: AbortSignal): Promise<FileCheck> {
  const file = path.join(dir, entry.file.path);
  let read: Digest & { gzipError?: string };
  try {
    read = await readDigest(file, entry.gzip, signal);
  } catch (error) {
    if (signal?.aborted) throw new RewindError("CANCELLED", "the integrity check was cancelled", { cause: error });
    const code = (error as NodeJS.ErrnoException).code;
    return code === "ENOENT"
      ? { path: entry.file.path, problem: "missing", detail: `${file} does not exist` }
      : { path: entry.file.path, problem: "unreadable", detail: (error as Error).message };
  }
  if (read.gzipError !== undefined) return { path: entry.file.path, problem: "gzip", detail: read.gzipError };
  if (read.bytes !== entry.file.bytes) {
    return { path: entry.file.path, problem: "size", detail: `${read.bytes} bytes, manifest says ${entry.file.bytes}` };
  }
  if (read.sha256 !== entry.file.sha256) {
    return { path: entry.file.path, problem: "sha256", detail: `sha256 ${read.sha256}, manifest says ${entry.file.sha256}` };
  }
  return { path: entry.file.path };
}

/**
 * Checks every file the manifest lists; throws BACKUP_INVALID naming each bad file (details.problems)
 * and returns the checked paths when all are whole.
 */
export async function verifyBackupFiles(dir: string, manifest: BackupManifest, signal?: AbortSignal): Promise<FileCheck[]> {
  const checks: FileCheck[] = [];
  for (const entry of manifestFiles(manifest)) checks.push(await checkFile(dir, entry, signal));
  const problems = checks.filter((check) => check.problem !== undefined);
  if (problems.length > 0) {
    const summary = problems.map((p) => `${p.path}: ${p.problem} (${p.detail})`).join("; ");
    throw new RewindError("BACKUP_INVALID", `backup ${manifest.backupId} in ${dir} is damaged: ${summary}`, {
      details: { problems },
    });
  }
  return checks;
}

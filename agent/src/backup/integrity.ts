// Proves a backup's files are whole: each is present, has the manifest's size and sha256, every
// gzip stream decompresses to the end (a flipped byte fails the CRC), and a plain SQL dump ends
// with pg_dump's completion trailer (a dump cut short is still valid gzip). One streamed read per
// file, all files at once. The rollback's preflight uses the same checks, also for the seed's
// backups (no sha256). A gzip file whose manifest records its sha256 and decompressed size was
// proven whole when the agent wrote (or first read) it: then matching the sha256 is the proof, and
// the file is decompressed once, by the restore, not twice. When it also records its pieces and the
// caller restores through verifiedPieces (a rollback), the file is not read here at all: its bytes
// are checked as the restore uses them (pieces.ts).
import type { FileHandle } from "node:fs/promises";
import path from "node:path";
import { Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { RewindError } from "../../../shared/errors.ts";
import { gunzipStream } from "../host/gunzip.ts";
import type { BackupFile, BackupManifest } from "../../../shared/schemas/manifest.ts";
import { type Digest, DigestStream, discard } from "./digest.ts";
import { DUMP_COMPLETE_TRAILER, DumpTail } from "./dump-trailer.ts";
import { openInside } from "./real-location.ts";

export interface ManifestFile {
  role: "database" | "minio" | "containers";
  /** `path` relative to the backup directory (or absolute); size and sha256 when known. */
  file: Pick<BackupFile, "path"> & Partial<Pick<BackupFile, "bytes" | "sha256" | "unpackedBytes" | "pieces">>;
  /** Whether the file is a gzip stream to test in full (for the database: a plain SQL dump). */
  gzip: boolean;
}

/** A gzipped database file is pg_dump's plain format, which must end with the completion trailer. */
const isPlainDump = (entry: ManifestFile): boolean => entry.role === "database" && entry.gzip;

/** The archive files a manifest lists, with how each is checked. */
export function manifestFiles(manifest: BackupManifest): ManifestFile[] {
  const files: ManifestFile[] = [];
  if (manifest.database) {
    files.push({ role: "database", file: manifest.database.file, gzip: manifest.database.format === "plain-gzip" });
  }
  if (manifest.minio) files.push({ role: "minio", file: manifest.minio.file, gzip: true });
  if (manifest.containers) files.push({ role: "containers", file: manifest.containers, gzip: false });
  return files;
}

export type FileProblem = "missing" | "unreadable" | "size" | "sha256" | "gzip" | "incomplete";

export interface FileCheck {
  path: string;
  problem?: FileProblem;
  detail?: string;
  /** A gzip file's decompressed size: what unpacking it needs on disk. */
  unpackedBytes?: number;
  /** Only its size was checked: the restore checks its pieces (see CheckOptions). */
  piecesAtRestore?: boolean;
}

type Read = Digest & { unpackedBytes?: number; gzipError?: string; dumpComplete?: boolean };

/** A sink that counts what it is given and drops it. */
function counter(): { sink: Writable; bytes(): number } {
  let bytes = 0;
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      bytes += chunk.length;
      callback();
    },
  });
  return { sink, bytes: () => bytes };
}

/** A gzip failure is reported as such: the read stops there, so the digest is then incomplete. */
async function readDigest(file: FileHandle, gzip: boolean, signal?: AbortSignal): Promise<Read> {
  const digest = new DigestStream();
  // Large reads: per-chunk overhead dominates with the 64 KiB default on multi-GB dumps.
  const source = file.createReadStream({ highWaterMark: 1024 * 1024 });
  if (!gzip) {
    await pipeline(source, digest, discard(), { signal });
    return digest.digest();
  }
  const unpacked = counter();
  const tail = new DumpTail();
  try {
    await pipeline(source, digest, gunzipStream(), tail, unpacked.sink, { signal });
  } catch (error) {
    if (signal?.aborted || (error as NodeJS.ErrnoException).code?.startsWith("Z_") !== true) throw error;
    return { ...digest.digest(), gzipError: (error as Error).message };
  }
  return { ...digest.digest(), unpackedBytes: unpacked.bytes(), dumpComplete: tail.complete() };
}

/** The recorded decompressed size of a gzip file the agent proved whole before, which its sha256 then vouches for. */
function vouchedUnpackedBytes(entry: ManifestFile): number | undefined {
  return entry.gzip && entry.file.sha256 !== undefined ? entry.file.unpackedBytes : undefined;
}

export interface CheckOptions {
  signal?: AbortSignal;
  /** The caller restores the files through verifiedPieces: files with pieces need not be read now. */
  piecesAtRestore?: boolean;
}

/** What opening `file` found, when it fails: missing or unreadable. */
function openProblem(entry: ManifestFile, file: string, error: unknown, signal?: AbortSignal): FileCheck {
  if (signal?.aborted) throw new RewindError("CANCELLED", "the integrity check was cancelled", { cause: error });
  const code = (error as NodeJS.ErrnoException).code;
  return code === "ENOENT"
    ? { path: entry.file.path, problem: "missing", detail: `${file} does not exist` }
    : { path: entry.file.path, problem: "unreadable", detail: (error as Error).message };
}

const sizeProblem = (entry: ManifestFile, bytes: number): FileCheck | undefined =>
  entry.file.bytes !== undefined && bytes !== entry.file.bytes
    ? { path: entry.file.path, problem: "size", detail: `${bytes} bytes, manifest says ${entry.file.bytes}` }
    : undefined;

/** A file the restore checks piece by piece: here only where it really is and its size. */
async function checkPresent(dir: string, file: string, entry: ManifestFile, unpackedBytes: number, signal?: AbortSignal): Promise<FileCheck> {
  let bytes: number;
  try {
    const opened = await openInside(dir, file, `the backup's ${entry.role} file`, "its backup directory");
    try {
      bytes = (await opened.stat()).size;
    } finally {
      await opened.close();
    }
  } catch (error) {
    return openProblem(entry, file, error, signal);
  }
  return sizeProblem(entry, bytes) ?? { path: entry.file.path, unpackedBytes, piecesAtRestore: true };
}

export async function checkFile(dir: string, entry: ManifestFile, options: CheckOptions = {}): Promise<FileCheck> {
  const { signal } = options;
  const file = path.resolve(dir, entry.file.path);
  const vouched = vouchedUnpackedBytes(entry);
  if (vouched !== undefined && options.piecesAtRestore === true && entry.file.pieces !== undefined && entry.file.bytes !== undefined) {
    return checkPresent(dir, file, entry, vouched, signal);
  }
  let read: Read;
  try {
    const opened = await openInside(dir, file, `the backup's ${entry.role} file`, "its backup directory");
    read = await readDigest(opened, entry.gzip && vouched === undefined, signal);
    if (vouched !== undefined) read = { ...read, unpackedBytes: vouched, dumpComplete: true };
  } catch (error) {
    return openProblem(entry, file, error, signal);
  }
  if (read.gzipError !== undefined) return { path: entry.file.path, problem: "gzip", detail: read.gzipError };
  const size = sizeProblem(entry, read.bytes);
  if (size) return size;
  if (entry.file.sha256 !== undefined && read.sha256 !== entry.file.sha256) {
    return { path: entry.file.path, problem: "sha256", detail: `sha256 ${read.sha256}, manifest says ${entry.file.sha256}` };
  }
  if (isPlainDump(entry) && read.dumpComplete !== true) {
    const detail = `no "${DUMP_COMPLETE_TRAILER}" trailer at its end: pg_dump was cut short while writing it (rows, keys or sequences missing)`;
    return { path: entry.file.path, problem: "incomplete", detail };
  }
  return { path: entry.file.path, ...(read.unpackedBytes === undefined ? {} : { unpackedBytes: read.unpackedBytes }) };
}

/** Checks every file; throws BACKUP_INVALID naming each bad one (details.problems) and returns the checks when all are whole. */
export async function verifyFiles(dir: string, entries: readonly ManifestFile[], what: string, options: CheckOptions = {}): Promise<FileCheck[]> {
  // All at once: each read is mostly its own gunzip and sha256, and a large MinIO archive need not wait for the dump.
  const checks = await Promise.all(entries.map((entry) => checkFile(dir, entry, options)));
  const problems = checks.filter((check) => check.problem !== undefined);
  if (problems.length > 0) {
    const summary = problems.map((p) => `${p.path}: ${p.problem} (${p.detail})`).join("; ");
    throw new RewindError("BACKUP_INVALID", `${what} in ${dir} is damaged: ${summary}`, { details: { problems } });
  }
  return checks;
}

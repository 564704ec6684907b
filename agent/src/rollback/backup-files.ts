// The backup's files as a rollback needs them: archives missing on this host fetched back from the
// off-site copy (sha256 checked), then each checked whole with the backup module's integrity check,
// and the MinIO tarball unpacked into a staging directory, all streamed.
import { Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import { extract } from "tar";
import { RewindError } from "../../../shared/errors.ts";
import type { AgentConfig } from "../config.ts";
import { gunzipStream } from "../host/gunzip.ts";
import { fetchMissingFiles } from "../backup/fetch-missing.ts";
import type { FileCheck, ManifestFile } from "../backup/integrity.ts";
import { verifyFiles } from "../backup/integrity.ts";
import { type ExpectedPieces, verifiedPieces } from "../backup/pieces.ts";
import { openInside } from "../backup/real-location.ts";
import { readManifest } from "../backup/manifest-file.ts";
import type { LoadedBackup } from "./loaded-backup.ts";

export interface CheckedFiles {
  /** Paths fetched back from the off-site copy. */
  fetched: string[];
  database?: FileCheck;
  minio?: FileCheck;
}

/** The archives this host's rollback restores: the database only with a database configured, likewise MinIO. */
function filesToRestore(config: AgentConfig, backup: LoadedBackup): ManifestFile[] {
  const files: ManifestFile[] = [];
  const { database, minio } = backup;
  if (database && config.project.database) {
    const gzip = (database.format ?? "plain-gzip") === "plain-gzip";
    files.push({ role: "database", gzip, file: { path: database.file, ...sizeAndHash(database) } });
  }
  if (minio && config.project.minio) files.push({ role: "minio", gzip: true, file: { path: minio.file, ...sizeAndHash(minio) } });
  return files;
}

type FileFacts = { bytes?: number; sha256?: string; unpackedBytes?: number; pieces?: string[] };

function sizeAndHash(file: FileFacts): FileFacts {
  return {
    ...(file.bytes === undefined ? {} : { bytes: file.bytes }),
    ...(file.sha256 === undefined ? {} : { sha256: file.sha256 }),
    ...(file.unpackedBytes === undefined ? {} : { unpackedBytes: file.unpackedBytes }),
    ...(file.pieces === undefined ? {} : { pieces: file.pieces }),
  };
}

/**
 * Brings back what is missing (a backup with a manifest, when the off-site copy is configured),
 * then reads every file whole, except those the restore checks piece by piece (only found and sized
 * here): BACKUP_INVALID names each missing or damaged one.
 */
export async function checkBackupFiles(config: AgentConfig, backup: LoadedBackup, signal?: AbortSignal): Promise<CheckedFiles> {
  const fetched =
    backup.source === "manifest" && config.offsite !== undefined ? await fetchMissingFiles(config, backup.dir, await readManifest(backup.dir), signal) : [];
  const entries = filesToRestore(config, backup);
  const checks = await verifyFiles(backup.dir, entries, `backup ${backup.backupId ?? backup.timestamp}`, {
    piecesAtRestore: true,
    ...(signal ? { signal } : {}),
  });
  const checkOf = (role: ManifestFile["role"]): FileCheck | undefined => checks[entries.findIndex((e) => e.role === role)];
  const database = checkOf("database");
  const minio = checkOf("minio");
  return { fetched, ...(database ? { database } : {}), ...(minio ? { minio } : {}) };
}

/** tar ends an archive with two zero blocks; every tar writer (GNU, bsdtar, node-tar) writes them. */
const END_OF_ARCHIVE_BYTES = 1024;

/** Passes a stream through, keeping its last bytes. */
function keepTail(): { stream: Transform; tail(): Buffer } {
  let tail = Buffer.alloc(0);
  const stream = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      tail = Buffer.concat([tail, chunk]).subarray(-END_OF_ARCHIVE_BYTES);
      callback(null, chunk);
    },
  });
  return { stream, tail: () => tail };
}

/**
 * Unpack a .tar.gz (`archive.file`, which must really be inside `archive.within`, its backup directory,
 * when opened; with `pieces`, each piece checked before tar sees it) into `dir`, keeping owners and modes (the agent runs as root, as MinIO's files need).
 * An archive cut short between two entries is a well-formed prefix node-tar accepts (a cut inside an
 * entry it refuses itself): without tar's end-of-archive blocks it is refused, or part of the MinIO
 * data would come back as if it were all of it.
 */
export async function unpackTarGz(archive: { file: string; within: string; pieces?: ExpectedPieces }, dir: string, signal?: AbortSignal): Promise<void> {
  const { file } = archive;
  const checked = archive.pieces ? [verifiedPieces(archive.pieces, file)] : [];
  const source = await openInside(archive.within, file, "the MinIO archive", "its backup directory");
  const tar = keepTail();
  await pipeline(
    [source.createReadStream({ highWaterMark: 1024 * 1024 }), ...checked, gunzipStream(), tar.stream, extract({ cwd: dir, preserveOwner: true })],
    {
      signal,
    },
  );
  const tail = tar.tail();
  if (tail.length < END_OF_ARCHIVE_BYTES || tail.some((byte) => byte !== 0)) {
    throw new RewindError(
      "BACKUP_INVALID",
      `${file} is cut short: its tar archive has no end-of-archive marker (the backup was interrupted while it was written)`,
    );
  }
}

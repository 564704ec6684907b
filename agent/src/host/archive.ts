// tar.gz of a directory (the MinIO volume's data), streamed to the archive file and hashed on the
// way, as the seed's `minio_<TS>.tar.gz`: entries are relative to the directory, so
// `tar xzf minio_<TS>.tar.gz -C /data` restores it in place.
import { createWriteStream } from "node:fs";
import { rm, stat } from "node:fs/promises";
import { pipeline } from "node:stream/promises";
import { createGzip } from "node:zlib";
import { create as createTar } from "tar";
import { RewindError } from "../../../shared/errors.ts";
import { type ArchiveDigest, ByteCount, DigestStream } from "../backup/digest.ts";

export interface ArchiveOptions {
  dir: string;
  outFile: string;
  signal?: AbortSignal;
}

async function requireDirectory(dir: string): Promise<void> {
  try {
    const info = await stat(dir);
    if (!info.isDirectory()) throw new RewindError("PRECONDITION_FAILED", `${dir} is not a directory`);
  } catch (error) {
    if (error instanceof RewindError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    throw new RewindError(
      "PRECONDITION_FAILED",
      code === "EACCES"
        ? `cannot read ${dir}: the agent needs read access to Docker's volume directory (run it as root)`
        : `cannot archive ${dir}: ${(error as Error).message}`,
      { cause: error },
    );
  }
}

export async function archiveDirectory(options: ArchiveOptions): Promise<ArchiveDigest> {
  await requireDirectory(options.dir);
  // Pieces: a rollback checks each one before tar unpacks it.
  const digest = new DigestStream({ pieces: true });
  // Owners and modes are kept (not `portable`): the restored data must be readable by the same
  // container user that wrote it.
  const tar = createTar({ cwd: options.dir }, ["."]);
  const unpacked = new ByteCount();
  try {
    await pipeline(tar, unpacked, createGzip(), digest, createWriteStream(options.outFile), { signal: options.signal });
  } catch (error) {
    await rm(options.outFile, { force: true });
    if (options.signal?.aborted) {
      throw new RewindError("CANCELLED", "archiving the MinIO data was cancelled", { cause: error });
    }
    const code = (error as NodeJS.ErrnoException).code;
    throw new RewindError(
      "STEP_FAILED",
      code === "EACCES"
        ? `cannot read a file under ${options.dir}: run the agent as root so it can read Docker volumes`
        : `archiving ${options.dir} to ${options.outFile} failed: ${(error as Error).message}`,
      { cause: error },
    );
  }
  return { ...digest.digest(), unpackedBytes: unpacked.bytes };
}

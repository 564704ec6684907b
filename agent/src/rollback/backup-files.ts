// Backup archive checks and unpacking, all streamed: full gzip integrity (every byte decompressed),
// sha256 against the manifest, and the MinIO tarball unpacked into a staging directory.
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { createGunzip } from "node:zlib";
import { extract } from "tar";
import { RewindError } from "../../../shared/errors.ts";

export interface ArchiveFacts {
  sha256: string;
  bytes: number;
  /** Size once decompressed: what staging the file needs on disk. */
  uncompressedBytes: number;
}

/** Read the whole file once: its sha256 and a full decompression (a flipped byte fails the CRC). */
export async function inspectGzip(file: string, signal?: AbortSignal): Promise<ArchiveFacts> {
  const hash = createHash("sha256");
  let bytes = 0;
  let uncompressedBytes = 0;
  // Large reads: per-chunk overhead dominates with the 64 KiB default on multi-GB dumps.
  const source = createReadStream(file, { highWaterMark: 1024 * 1024 });
  source.on("data", (chunk: Buffer | string) => {
    hash.update(chunk);
    bytes += chunk.length;
  });
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      uncompressedBytes += chunk.length;
      callback();
    },
  });
  try {
    await pipeline(source, createGunzip(), sink, { signal });
  } catch (error) {
    throw new RewindError("PREFLIGHT_FAILED", `${file} is not a valid gzip file: ${(error as Error).message}`, { cause: error });
  }
  return { sha256: hash.digest("hex"), bytes, uncompressedBytes };
}

/** Unpack a .tar.gz into `dir`, keeping owners and modes (the agent runs as root, as MinIO's files need). */
export async function unpackTarGz(file: string, dir: string, signal?: AbortSignal): Promise<void> {
  await pipeline(createReadStream(file), extract({ cwd: dir, preserveOwner: true }), { signal });
}

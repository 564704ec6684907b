// sha256 and byte count of data as it streams past, so archives are hashed on the way to disk
// without a second read and without ever being held in memory.
import { createHash, type Hash } from "node:crypto";
import { Transform, type TransformCallback, Writable } from "node:stream";

export interface Digest {
  bytes: number;
  sha256: string;
}

/** A pass-through stream that hashes and counts what flows through it. */
export class DigestStream extends Transform {
  #hash: Hash = createHash("sha256");
  #bytes = 0;

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.#hash.update(chunk);
    this.#bytes += chunk.length;
    callback(null, chunk);
  }

  /** Call once the stream has finished; the hash cannot be read twice. */
  digest(): Digest {
    return { bytes: this.#bytes, sha256: this.#hash.digest("hex") };
  }
}

/** A gzip archive's digest with what it decompresses to (the bytes that went into gzip). */
export interface ArchiveDigest extends Digest {
  unpackedBytes: number;
}

/** A pass-through stream that counts what flows through it. */
export class ByteCount extends Transform {
  bytes = 0;

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.bytes += chunk.length;
    callback(null, chunk);
  }
}

/** A sink that drops what it is given: for reads done only for their digest. */
export function discard(): Writable {
  return new Writable({
    write(_chunk, _encoding, callback) {
      callback();
    },
  });
}

// sha256 and byte count of data as it streams past, so archives are hashed on the way to disk
// without a second read and without ever being held in memory.
import { createHash, type Hash } from "node:crypto";
import { Transform, type TransformCallback, Writable } from "node:stream";
import { MAX_PIECES, PIECE_BYTES } from "../../../shared/schemas/manifest.ts";

export interface Digest {
  bytes: number;
  sha256: string;
  /** sha256 of each PIECE_BYTES, when asked for and the file has at most MAX_PIECES of them. */
  pieces?: string[];
}

/** A pass-through stream that hashes and counts what flows through it, and hashes it piece by piece if asked. */
export class DigestStream extends Transform {
  #hash: Hash = createHash("sha256");
  #bytes = 0;
  #pieces: string[] | undefined;
  #piece: Hash = createHash("sha256");
  #pieceFill = 0;

  constructor(options: { pieces?: boolean } = {}) {
    super();
    if (options.pieces === true) this.#pieces = [];
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.#hash.update(chunk);
    this.#bytes += chunk.length;
    if (this.#pieces !== undefined) this.#hashPieces(chunk);
    callback(null, chunk);
  }

  #hashPieces(chunk: Buffer): void {
    const pieces = this.#pieces;
    if (pieces === undefined) return;
    for (let at = 0; at < chunk.length; ) {
      const take = Math.min(PIECE_BYTES - this.#pieceFill, chunk.length - at);
      this.#piece.update(chunk.subarray(at, at + take));
      this.#pieceFill += take;
      at += take;
      if (this.#pieceFill === PIECE_BYTES) {
        pieces.push(this.#piece.digest("hex"));
        this.#piece = createHash("sha256");
        this.#pieceFill = 0;
      }
    }
    // Past the limit the pieces are not recorded: stop hashing them.
    if (pieces.length > MAX_PIECES) this.#pieces = undefined;
  }

  /** Call once the stream has finished; the hash cannot be read twice. */
  digest(): Digest {
    const pieces = this.#pieces;
    if (pieces !== undefined && this.#pieceFill > 0) pieces.push(this.#piece.digest("hex"));
    const recorded = pieces !== undefined && pieces.length > 0 && pieces.length <= MAX_PIECES ? { pieces } : {};
    return { bytes: this.#bytes, sha256: this.#hash.digest("hex"), ...recorded };
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

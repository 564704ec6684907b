// Whether a plain (SQL) pg_dump ran to its end. pg_dump writes `-- PostgreSQL database dump
// complete` as its last comment; a dump cut short (pg_dump killed mid-COPY behind a `| gzip`
// without pipefail, a full disk) is still a valid gzip and loads "successfully" with rows,
// keys and sequence positions missing. Only the trailer tells the two apart, so every reader
// of a plain dump (integrity check, restore, Rewind's own dump, the seed's backups) asks here.
import { Transform, type TransformCallback } from "node:stream";

export const DUMP_COMPLETE_TRAILER = "-- PostgreSQL database dump complete";

/** What follows the trailer is a few lines at most; the tail kept is far more than enough. */
const tailBytes = 4096;

/**
 * After the trailer pg_dump writes only comment lines, blank lines and (15.14+, 16.10+, 17.6+)
 * `\unrestrict <key>`, the end of the `\restrict` guard it opens at the top.
 */
const afterTrailer = (line: string): boolean => line.trim() === "" || line.startsWith("--") || line.startsWith("\\unrestrict ");

/** Pure: whether the last bytes of a decompressed plain dump end with pg_dump's completion trailer. */
export function hasDumpTrailer(tail: string): boolean {
  const lines = tail.split("\n").map((line) => line.replace(/\r$/, ""));
  const at = lines.lastIndexOf(DUMP_COMPLETE_TRAILER);
  return at >= 0 && lines.slice(at + 1).every(afterTrailer);
}

/** A pass-through stream that remembers the last bytes that went through it. */
export class DumpTail extends Transform {
  #tail = Buffer.alloc(0);

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    const joined = chunk.length >= tailBytes ? chunk.subarray(chunk.length - tailBytes) : Buffer.concat([this.#tail, chunk]);
    // A copy, so the tail does not pin a whole (1 MiB) read buffer.
    this.#tail = Buffer.from(joined.subarray(Math.max(0, joined.length - tailBytes)));
    callback(null, chunk);
  }

  /** Whether what went through so far ends with pg_dump's completion trailer. */
  complete(): boolean {
    // latin1 maps every byte to one character: a multi-byte character cut at the tail's start cannot throw.
    return hasDumpTrailer(this.#tail.toString("latin1"));
  }
}

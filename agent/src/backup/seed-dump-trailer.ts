// pg_dump's completion trailer, checked on the seed's `pg_dump | gzip` files before the agent vouches
// for them: without pipefail a pg_dump that died mid-COPY still leaves a valid gzip, and only the
// missing trailer tells. A minimal check for seed adoption; the rollback's preflight has its own.
import { Writable } from "node:stream";

export const dumpTrailer = "-- PostgreSQL database dump complete";

/** How much of the end of a decompressed dump is kept: the trailer and what may follow it. */
const tailBytes = 4096;

/**
 * True when `tail` (the end of a plain dump) holds the trailer with nothing after it but blank
 * lines, `--` comments and the `\unrestrict KEY` line pg_dump 15.14+ writes last.
 */
export function endsWithDumpTrailer(tail: string): boolean {
  const at = tail.lastIndexOf(dumpTrailer);
  if (at < 0) return false;
  const after = tail.slice(at + dumpTrailer.length).split("\n");
  return after.every((line) => {
    const text = line.trim();
    return text === "" || text.startsWith("--") || /^\\unrestrict \S+$/.test(text);
  });
}

/** A sink that counts what it is given and keeps only its last bytes. */
export class TailSink extends Writable {
  #tail = Buffer.alloc(0);
  #bytes = 0;

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.#bytes += chunk.length;
    // Copied, so the tail never pins a whole 1 MiB read buffer.
    const joined = chunk.length >= tailBytes ? chunk : Buffer.concat([this.#tail, chunk]);
    this.#tail = Buffer.from(joined.subarray(Math.max(0, joined.length - tailBytes)));
    callback();
  }

  get bytes(): number {
    return this.#bytes;
  }

  text(): string {
    return this.#tail.toString("utf8");
  }
}

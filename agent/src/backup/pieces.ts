// Verify-then-use in one read: a restore reads a backup file through this stream, which holds each
// PIECE_BYTES piece until its sha256 matches the manifest's and only then passes it on. So psql or
// tar never sees a byte the manifest does not vouch for (a swapped dump cannot run one statement),
// without a separate full read of the file before the restore.
import { createHash, type Hash } from "node:crypto";
import { Transform, type TransformCallback } from "node:stream";
import { RewindError } from "../../../shared/errors.ts";
import { PIECE_BYTES, pieceCount } from "../../../shared/schemas/manifest.ts";

export interface ExpectedPieces {
  /** The file's size in the manifest. */
  bytes: number;
  /** The manifest's `pieces`. */
  pieces: readonly string[];
}

class VerifiedPieces extends Transform {
  #held: Buffer[] = [];
  #fill = 0;
  #hash: Hash = createHash("sha256");
  #index = 0;
  #seen = 0;

  constructor(
    private readonly expected: ExpectedPieces,
    private readonly label: string,
  ) {
    super();
  }

  #refuse(detail: string): RewindError {
    return new RewindError(
      "BACKUP_INVALID",
      `${this.label} differs from its backup manifest (${detail}): it changed after the backup was written; nothing of it was restored`,
    );
  }

  /** Checks the held piece; passes it on when it matches. */
  #release(): RewindError | undefined {
    const want = this.expected.pieces[this.#index];
    const got = this.#hash.digest("hex");
    const start = this.#index * PIECE_BYTES;
    if (want === undefined) return this.#refuse(`more than the manifest's ${this.expected.bytes} bytes`);
    if (got !== want) return this.#refuse(`bytes ${start}–${start + this.#fill - 1}: sha256 ${got}, manifest says ${want}`);
    for (const held of this.#held) this.push(held);
    this.#held = [];
    this.#fill = 0;
    this.#hash = createHash("sha256");
    this.#index += 1;
    return undefined;
  }

  /** Takes in a chunk, releasing each piece it completes; the refusal, if one does not match. */
  #take(chunk: Buffer): RewindError | undefined {
    this.#seen += chunk.length;
    if (this.#seen > this.expected.bytes) return this.#refuse(`more than the manifest's ${this.expected.bytes} bytes`);
    for (let at = 0; at < chunk.length; ) {
      const take = Math.min(PIECE_BYTES - this.#fill, chunk.length - at);
      const part = chunk.subarray(at, at + take);
      this.#hash.update(part);
      this.#held.push(part);
      this.#fill += take;
      at += take;
      const refused = this.#fill === PIECE_BYTES ? this.#release() : undefined;
      if (refused) return refused;
    }
    return undefined;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    callback(this.#take(chunk));
  }

  override _flush(callback: TransformCallback): void {
    if (this.#seen !== this.expected.bytes) callback(this.#refuse(`${this.#seen} bytes, the manifest says ${this.expected.bytes}`));
    else callback(this.#fill > 0 ? this.#release() : undefined);
  }
}

/**
 * A pass-through that releases `label`'s bytes piece by piece once each matches `expected`, and fails
 * (BACKUP_INVALID) at the first piece that does not, or when the file is longer or shorter.
 */
export function verifiedPieces(expected: ExpectedPieces, label: string): Transform {
  if (expected.pieces.length !== pieceCount(expected.bytes)) {
    throw new RewindError("BACKUP_INVALID", `${label}: the manifest lists ${expected.pieces.length} pieces for ${expected.bytes} bytes`);
  }
  return new VerifiedPieces(expected, label);
}

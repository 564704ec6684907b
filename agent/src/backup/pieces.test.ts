import { createHash, randomBytes } from "node:crypto";
import { Readable, Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { describe, expect, it } from "vitest";
import { backupFile, MAX_PIECES, PIECE_BYTES } from "../../../shared/schemas/manifest.ts";
import { DigestStream, discard } from "./digest.ts";
import { verifiedPieces } from "./pieces.ts";

const sha256 = (data: Buffer): string => createHash("sha256").update(data).digest("hex");

/** `data` as a stream of chunks of `size` bytes, as a file read delivers it. */
const chunks = (data: Buffer, size: number): Readable =>
  Readable.from(
    (function* () {
      for (let at = 0; at < data.length; at += size) yield data.subarray(at, at + size);
    })(),
  );

async function pieces(data: Buffer, chunkSize = 1024 * 1024): Promise<string[] | undefined> {
  const digest = new DigestStream({ pieces: true });
  await pipeline(chunks(data, chunkSize), digest, discard());
  return digest.digest().pieces;
}

/** What a verifier lets through, and the error it stops with (if any). */
async function through(data: Buffer, expected: { bytes: number; pieces: string[] }): Promise<{ out: Buffer; error?: unknown }> {
  const out: Buffer[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      out.push(chunk);
      callback();
    },
  });
  try {
    await pipeline(chunks(data, 1024 * 1024 + 7), verifiedPieces(expected, "db.sql.gz"), sink);
    return { out: Buffer.concat(out) };
  } catch (error) {
    return { out: Buffer.concat(out), error };
  }
}

describe("pieces of a backup file", () => {
  const data = randomBytes(2 * PIECE_BYTES + 12345);

  it("are the sha256 of each PIECE_BYTES, whatever the chunks the file was written in", async () => {
    const expected = [data.subarray(0, PIECE_BYTES), data.subarray(PIECE_BYTES, 2 * PIECE_BYTES), data.subarray(2 * PIECE_BYTES)].map(sha256);
    expect(await pieces(data)).toEqual(expected);
    expect(await pieces(data, 65_536 + 3)).toEqual(expected);
    expect(backupFile.safeParse({ path: "db.sql.gz", bytes: data.length, sha256: sha256(data), pieces: expected }).success).toBe(true);
  });

  it("are left out of a file with more than MAX_PIECES, and of an empty one; the manifest refuses a wrong count", async () => {
    const digest = new DigestStream({ pieces: true });
    // Only counting matters here: the same zero buffer written past the limit.
    const zero = Buffer.alloc(PIECE_BYTES);
    await pipeline(Readable.from(Array.from({ length: MAX_PIECES + 1 }, () => zero)), digest, discard());
    expect(digest.digest().pieces).toBeUndefined();
    expect(await pieces(Buffer.alloc(0))).toBeUndefined();
    const parsed = backupFile.safeParse({ path: "db.sql.gz", bytes: data.length, sha256: sha256(data), pieces: [sha256(data)] });
    expect(parsed.success).toBe(false);
    expect(JSON.stringify(parsed.error?.issues)).toContain("one sha256 per");
  });

  it("let a file that matches through whole and unchanged", async () => {
    const expected = { bytes: data.length, pieces: (await pieces(data)) ?? [] };
    const { out, error } = await through(data, expected);
    expect(error).toBeUndefined();
    expect(out.equals(data)).toBe(true);
  });

  it("stop at the first piece that differs, before passing on a byte of it", async () => {
    const expected = { bytes: data.length, pieces: (await pieces(data)) ?? [] };
    const changed = Buffer.from(data);
    changed[PIECE_BYTES + 10] = (changed[PIECE_BYTES + 10] ?? 0) ^ 0xff;
    const { out, error } = await through(changed, expected);
    expect(error).toMatchObject({ code: "BACKUP_INVALID", message: expect.stringContaining(`bytes ${PIECE_BYTES}–${2 * PIECE_BYTES - 1}`) });
    // Only the first piece, checked, got through.
    expect(out.length).toBe(PIECE_BYTES);
    expect(out.equals(data.subarray(0, PIECE_BYTES))).toBe(true);
  });

  it("refuse a file longer or shorter than the manifest says", async () => {
    const expected = { bytes: data.length, pieces: (await pieces(data)) ?? [] };
    const longer = await through(Buffer.concat([data, Buffer.from("x")]), expected);
    expect(longer.error).toMatchObject({ code: "BACKUP_INVALID", message: expect.stringContaining("more than the manifest's") });
    const shorter = await through(data.subarray(0, data.length - 1), expected);
    expect(shorter.error).toMatchObject({ code: "BACKUP_INVALID", message: expect.stringContaining(`the manifest says ${data.length}`) });
    // The short last piece is never released.
    expect(shorter.out.length).toBe(2 * PIECE_BYTES);
  });

  it("refuse a manifest whose pieces do not fit its size before reading anything", () => {
    expect(() => verifiedPieces({ bytes: 3 * PIECE_BYTES, pieces: [sha256(data)] }, "db.sql.gz")).toThrow(/lists 1 pieces for/);
  });
});

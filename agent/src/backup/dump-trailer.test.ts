import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { discard } from "./digest.ts";
import { DumpTail, gzipDumpIsComplete, hasDumpTrailer } from "./dump-trailer.ts";

const body = "--\n-- PostgreSQL database dump\n--\n\nCOPY public.users (id, email) FROM stdin;\n1\tana@example.com\n\\.\n\n";
/** What pg_dump 15.14+ writes at the end: the trailer, then the end of its \restrict guard. */
const trailer15 = "--\n-- PostgreSQL database dump complete\n--\n\n\\unrestrict wlZdz7C405FMwySIhIC2I46Elu\n\n";
/** Older pg_dump: the trailer is the very end. */
const trailerOld = "--\n-- PostgreSQL database dump complete\n--\n\n";

describe("hasDumpTrailer", () => {
  it("accepts what pg_dump writes at the end, with or without \\unrestrict, and CRLF line ends", () => {
    expect(hasDumpTrailer(body + trailer15)).toBe(true);
    expect(hasDumpTrailer(body + trailerOld)).toBe(true);
    expect(hasDumpTrailer((body + trailerOld).replaceAll("\n", "\r\n"))).toBe(true);
  });

  it("refuses a dump cut short, mid-COPY or before the trailer", () => {
    expect(hasDumpTrailer(body)).toBe(false);
    expect(hasDumpTrailer(body.slice(0, body.indexOf("ana@")))).toBe(false);
    expect(hasDumpTrailer("")).toBe(false);
  });

  it("refuses the trailer text followed by more SQL (a row holding it, two dumps concatenated)", () => {
    expect(hasDumpTrailer(`${body}${trailerOld}CREATE TABLE more (id int);\n`)).toBe(false);
    expect(hasDumpTrailer(`${body}-- PostgreSQL database dump complete (not really)\n`)).toBe(false);
  });
});

describe("DumpTail", () => {
  it("keeps the end of a long stream whatever the chunk sizes", async () => {
    const filler = `${"x".repeat(1000)}\n`;
    const chunks = [body, filler.repeat(50), trailer15.slice(0, 7), trailer15.slice(7)];
    const tail = new DumpTail();
    await pipeline(Readable.from(chunks.map((c) => Buffer.from(c))), tail, discard());
    expect(tail.complete()).toBe(true);

    const cut = new DumpTail();
    await pipeline(Readable.from([Buffer.from(body + trailer15), Buffer.from(filler.repeat(10))]), cut, discard());
    expect(cut.complete()).toBe(false);
  });
});

describe("gzipDumpIsComplete", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "rewind-trailer-"));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("reads a whole .sql.gz and tells a finished dump from a cut-short one", async () => {
    const whole = path.join(dir, "whole.sql.gz");
    const cut = path.join(dir, "cut.sql.gz");
    await writeFile(whole, gzipSync(body + trailer15));
    // The seed's `pg_dump | gzip` without pipefail: pg_dump died, gzip closed a valid stream.
    await writeFile(cut, gzipSync(body.slice(0, body.indexOf("ana@"))));
    await expect(gzipDumpIsComplete(whole)).resolves.toBe(true);
    await expect(gzipDumpIsComplete(cut)).resolves.toBe(false);
  });

  it("rejects a file that is not gzip or not there", async () => {
    const plain = path.join(dir, "plain.sql.gz");
    await writeFile(plain, body + trailer15);
    await expect(gzipDumpIsComplete(plain)).rejects.toMatchObject({ code: "Z_DATA_ERROR" });
    await expect(gzipDumpIsComplete(path.join(dir, "missing.sql.gz"))).rejects.toMatchObject({ code: "ENOENT" });
  });
});

import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { describe, expect, it } from "vitest";
import { discard } from "./digest.ts";
import { DumpTail, hasDumpTrailer } from "./dump-trailer.ts";

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

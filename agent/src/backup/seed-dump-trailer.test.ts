import { describe, expect, it } from "vitest";
import { endsWithDumpTrailer } from "./seed-dump-trailer.ts";

const body = "COPY public.jobs (id) FROM stdin;\n1\n2\n\\.\n\n";

describe("endsWithDumpTrailer", () => {
  it("accepts pg_dump's ending, with or without the \\unrestrict line of 15.14+", () => {
    expect(endsWithDumpTrailer(`${body}--\n-- PostgreSQL database dump complete\n--\n\n`)).toBe(true);
    expect(endsWithDumpTrailer(`${body}--\n-- PostgreSQL database dump complete\n--\n\n\\unrestrict Ab12Cd34\n\n`)).toBe(true);
  });

  it("refuses a dump cut short mid-COPY, and one with SQL after the trailer", () => {
    expect(endsWithDumpTrailer("COPY public.jobs (id) FROM stdin;\n1\n2\n")).toBe(false);
    expect(endsWithDumpTrailer(`${body}--\n-- PostgreSQL database dump complete\n--\nDROP TABLE jobs;\n`)).toBe(false);
  });
});

// `rewind audit verify` reads an export's lines in chunks now; each line is a leaf, so it must see
// exactly the lines readline saw (its reader before), whatever the line endings, the characters or
// where a chunk is cut.
import { createReadStream } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { createInterface } from "node:readline";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { lineBatches } from "../../agent/src/audit/read-lines.ts";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "rewind-read-lines-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function readlineLines(file: string): Promise<string[]> {
  const lines: string[] = [];
  for await (const line of createInterface({ input: createReadStream(file, { encoding: "utf8" }), crlfDelay: Number.POSITIVE_INFINITY })) lines.push(line);
  return lines;
}

async function chunkedLines(file: string, bufferBytes?: number): Promise<{ lines: string[]; batches: number }> {
  const lines: string[] = [];
  let batches = 0;
  for await (const batch of lineBatches(file, bufferBytes)) {
    lines.push(...batch);
    batches += 1;
  }
  return { lines, batches };
}

const contents: [string, string | Buffer][] = [
  ["empty", ""],
  ["one newline", "\n"],
  ["no final newline", '{"seq":0}\n{"seq":1}'],
  ["blank lines", "a\n\n\nb\n"],
  ["CRLF", "a\r\nb\r\nc\r\n"],
  ["lone CR and mixed", "a\rb\r\r\nc\n\rd\r"],
  ["unicode", `${"ünïcödé ✓ 𝄞\n".repeat(40)}é`],
  ["long line", `${"x".repeat(100)}\nshort\n${"y".repeat(50)}`],
  ["invalid UTF-8", Buffer.from([0x61, 0xc3, 0x0a, 0xe2, 0x82, 0x0a, 0xff, 0x62, 0x0a])],
];

describe("the export's line reader", () => {
  it("yields exactly readline's lines, with any chunk size", async () => {
    for (const [name, content] of contents) {
      const file = path.join(dir, `${name}.ndjson`);
      await writeFile(file, content);
      const expected = await readlineLines(file);
      // Small buffers cut inside multi-byte characters, CRLF pairs and long lines (which grow the buffer).
      for (const bufferBytes of [1, 2, 3, 7, 16, undefined]) {
        expect((await chunkedLines(file, bufferBytes)).lines, `${name}, ${bufferBytes ?? "default"} bytes`).toEqual(expected);
      }
    }
  });

  it("hands a large file over in a few batches, not a line at a time", async () => {
    const file = path.join(dir, "large.ndjson");
    await writeFile(file, `${'{"seq":0,"subject":"x"}\n'.repeat(100_000)}`);
    const { lines, batches } = await chunkedLines(file, 1 << 20);
    expect(lines).toHaveLength(100_000);
    expect(batches).toBeLessThanOrEqual(3);
  });
});

// Issue 16's bar, kept: no source file over 400 lines, tests and scripts included (split a file that
// grows past it). Generated files (drizzle-kit's SQL migrations and snapshots) are not source.
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";

const repoRoot = path.resolve(import.meta.dirname, "../..");
const roots = ["agent", "control-plane", "shared", "scripts", "bench", "test", "infra", "bin"];
const maxLines = 400;
const generated = /^control-plane\/migrations\//;

function sourceFiles(dir: string): string[] {
  return readdirSync(path.join(repoRoot, dir), { withFileTypes: true }).flatMap((entry) => {
    const file = path.join(dir, entry.name);
    if (entry.isDirectory()) return entry.name.startsWith(".") || entry.name === "node_modules" ? [] : sourceFiles(file);
    return /\.(ts|tsx|js|mjs|cjs|sh|sql|css|html)$/.test(entry.name) && !generated.test(file) ? [file] : [];
  });
}

function lineCount(text: string): number {
  return text.length === 0 ? 0 : text.split("\n").length - (text.endsWith("\n") ? 1 : 0);
}

describe("source files", () => {
  it("counts lines as wc -l does for a file ending in a newline, and one more without", () => {
    expect([lineCount(""), lineCount("a\n"), lineCount("a\nb"), lineCount("a\nb\n")]).toEqual([0, 1, 2, 2]);
  });

  it(`have at most ${maxLines} lines each`, () => {
    const files = roots.flatMap(sourceFiles);
    expect(files.length).toBeGreaterThan(300);
    const over = files.map((file) => ({ file, lines: lineCount(readFileSync(path.join(repoRoot, file), "utf8")) })).filter(({ lines }) => lines > maxLines);
    expect(over).toEqual([]);
  });
});

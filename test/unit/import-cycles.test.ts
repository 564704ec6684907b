// Issue 16's bar, kept: no import circle in agent/, control-plane/ or shared/ at run time, and type-only
// circles only through the Worker's bindings (control-plane/src/env.ts names the Durable Object classes).
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";

const repoRoot = path.resolve(import.meta.dirname, "../..");
const roots = ["agent/src", "control-plane/src", "shared"];
const workerBindings = "control-plane/src/env.ts";

function sourceFiles(dir: string): string[] {
  return readdirSync(path.join(repoRoot, dir), { withFileTypes: true }).flatMap((entry) => {
    const file = path.join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(file);
    return /\.(ts|js)$/.test(entry.name) && !/\.(test|gen)\.ts$/.test(entry.name) ? [file] : [];
  });
}

/** Relative imports and re-exports of each file; type-only ones only when `withTypes`. */
function importGraph(withTypes: boolean): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of roots.flatMap(sourceFiles)) {
    const text = readFileSync(path.join(repoRoot, file), "utf8");
    const targets: string[] = [];
    for (const match of text.matchAll(/^(?:import|export)\s+(type\s+)?[^;]*?from\s+"(\.[^"]+)"/gms)) {
      if (match[1] === undefined || withTypes) targets.push(path.join(path.dirname(file), match[2] ?? ""));
    }
    for (const match of text.matchAll(/^import\s+"(\.[^"]+)"/gm)) targets.push(path.join(path.dirname(file), match[1] ?? ""));
    graph.set(file, targets);
  }
  return graph;
}

function cycles(graph: Map<string, string[]>): string[][] {
  const found: string[][] = [];
  const state = new Map<string, "open" | "done">();
  const stack: string[] = [];
  const visit = (file: string): void => {
    state.set(file, "open");
    stack.push(file);
    for (const target of graph.get(file) ?? []) {
      if (!graph.has(target)) continue;
      if (state.get(target) === "open") found.push([...stack.slice(stack.indexOf(target)), target]);
      else if (state.get(target) === undefined) visit(target);
    }
    stack.pop();
    state.set(file, "done");
  };
  for (const file of graph.keys()) if (state.get(file) === undefined) visit(file);
  return found;
}

describe("import circles", () => {
  it("finds a circle when there is one", () => {
    const graph = new Map([
      ["a.ts", ["b.ts"]],
      ["b.ts", ["a.ts"]],
      ["c.ts", []],
    ]);
    expect(cycles(graph)).toEqual([["a.ts", "b.ts", "a.ts"]]);
  });

  it("has none at run time", () => {
    const graph = importGraph(false);
    expect(graph.size).toBeGreaterThan(200);
    expect(cycles(graph).map((c) => c.join(" → "))).toEqual([]);
  });

  it("has type-only ones only through the Worker's bindings", () => {
    expect(
      cycles(importGraph(true))
        .filter((c) => !c.includes(workerBindings))
        .map((c) => c.join(" → ")),
    ).toEqual([]);
  });
});

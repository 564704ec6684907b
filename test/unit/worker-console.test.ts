// The console page leaves the Worker script for its static assets: the Worker must still send the
// page's own CSP and ETag (computed at build time from page.ts), and the assets must hold that page.
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { consoleAssetPath, consoleCsp, consoleEtag, consolePage } from "../../control-plane/src/console/page.ts";
import { pageHeadersModule, sharedConsoleAssets } from "../../scripts/worker-console.ts";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "rewind-worker-console-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("the console page as a Worker static asset", () => {
  it("gives the Worker the page's CSP, ETag and asset path, and nothing of the page itself", async () => {
    const source = await pageHeadersModule();
    const file = path.join(dir, "page-headers.mjs");
    await writeFile(file, source);
    const headers = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
    expect({ ...headers }).toEqual({ consoleAssetPath, consoleCsp, consoleEtag });
    expect(consoleCsp).toMatch(/script-src 'sha256-[A-Za-z0-9+/]+=*'/);
    expect(source.length).toBeLessThan(1024);
  });

  it("writes the page once per key, whole, where the Worker fetches it", async () => {
    const [first, second] = await Promise.all([sharedConsoleAssets(dir, "k1"), sharedConsoleAssets(dir, "k1")]);
    expect(second).toBe(first);
    expect(await readFile(path.join(first, consoleAssetPath.slice(1)), "utf8")).toBe(consolePage);
    const leftovers = (await readdir(dir)).filter((name) => name.startsWith("console-partial-"));
    expect(leftovers).toEqual([]);
  });
});

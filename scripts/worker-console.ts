// The console page as a Workers static asset (issue 15): the build writes it beside the Worker
// (ASSETS), and the Worker bundle gets page.ts's header values, computed here from the page, instead
// of the page itself. page.ts stays the one definition of the page, its CSP and its ETag.
import { mkdir, mkdtemp, rename, rm, utimes, writeFile } from "node:fs/promises";
import path from "node:path";
import type { Plugin } from "esbuild";

type PageModule = typeof import("../control-plane/src/console/page.ts");

const pageModule = path.resolve(import.meta.dirname, "../control-plane/src/console/page.ts");

function page(): Promise<PageModule> {
  return import(pageModule) as Promise<PageModule>;
}

/** What the Worker bundle gets for page.ts: the values its route sends, not the page. */
export async function pageHeadersModule(): Promise<string> {
  const { consoleAssetPath, consoleCsp, consoleEtag } = await page();
  return Object.entries({ consoleAssetPath, consoleCsp, consoleEtag })
    .map(([name, value]) => `export const ${name} = ${JSON.stringify(value)};\n`)
    .join("");
}

export const consolePageAsAsset: Plugin = {
  name: "rewind-console-page-as-asset",
  setup(build) {
    build.onLoad({ filter: /[\\/]control-plane[\\/]src[\\/]console[\\/]page\.ts$/ }, async () => ({ contents: await pageHeadersModule(), loader: "js" }));
  },
};

/** The Worker's static assets directory as wrangler.toml's [assets] and the test world serve it. */
export async function writeConsoleAssets(dir: string): Promise<void> {
  const { consoleAssetPath, consolePage } = await page();
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(dir, consoleAssetPath.slice(1)), consolePage);
}

/**
 * Writes the assets into `parent/console-<key>` once, whole: written aside, then renamed into place,
 * so a concurrent reader never sees a half-written directory. Returns its path.
 */
export async function sharedConsoleAssets(parent: string, key: string): Promise<string> {
  const dir = path.join(parent, `console-${key}`);
  await mkdir(parent, { recursive: true });
  const partial = await mkdtemp(path.join(parent, "console-partial-"));
  await writeConsoleAssets(partial);
  try {
    await rename(partial, dir);
  } catch (error) {
    if (!["EEXIST", "ENOTEMPTY"].includes((error as NodeJS.ErrnoException).code ?? "")) throw error;
    await rm(partial, { recursive: true, force: true });
  }
  // In use: the test world's sweep of old bundles goes by modification time.
  const now = new Date();
  await utimes(dir, now, now);
  return dir;
}

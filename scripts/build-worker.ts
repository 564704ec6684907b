// `npm run build:worker` (and `npm run deploy`, which uploads this file without re-bundling): the
// control-plane Worker as one minified ES module, dist/worker.js, and its static assets (the console
// page), dist-assets/ (wrangler.toml [assets]). These options are the only
// definition of the Worker bundle: the test world (test/world/control-plane.ts) and the bench's
// size row build with them too, so tests run what is deployed.
import path from "node:path";
import { type BuildOptions, build } from "esbuild";
import { awsSdkTrims } from "./worker-bundle-trims.ts";
import { consolePageAsAsset, writeConsoleAssets } from "./worker-console.ts";

const root = path.resolve(import.meta.dirname, "..");

export function workerBuildOptions(outfile: string): BuildOptions {
  return {
    entryPoints: [path.join(root, "control-plane/src/index.ts")],
    bundle: true,
    format: "esm",
    // Neutral with workerd/worker conditions, not wrangler's default 'browser': the SDK's browser XML
    // parser needs DOMParser, which workerd lacks (test/integration/notify-workerd.test.ts).
    platform: "neutral",
    mainFields: ["module", "main"],
    conditions: ["workerd", "worker"],
    external: ["cloudflare:*", "node:*"],
    // Durable Object migrations are SQL files imported as text (drizzle's durable-sqlite migrator).
    loader: { ".sql": "text" },
    plugins: [awsSdkTrims, consolePageAsAsset],
    minify: true,
    outfile,
    logLevel: "warning",
  };
}

/** Builds the Worker and its static assets (`assets`, wrangler.toml's [assets]); returns the script's size in bytes. */
export async function buildWorker(outfile = path.join(root, "dist/worker.js"), assets = path.join(root, "dist-assets")): Promise<number> {
  await writeConsoleAssets(assets);
  const result = await build({ ...workerBuildOptions(outfile), metafile: true });
  return Object.values(result.metafile.outputs).reduce((sum, output) => sum + output.bytes, 0);
}

if (process.argv[1] === import.meta.filename) {
  // `build-worker.ts [outfile [assets-dir]]`; without them, what `npm run deploy` uploads.
  const [outfile, assets] = process.argv.slice(2, 4).map((arg) => path.resolve(arg));
  const bytes = await buildWorker(outfile, assets);
  process.stdout.write(`built ${path.relative(process.cwd(), outfile ?? path.join(root, "dist/worker.js"))}: ${Math.round(bytes / 1024)} KB\n`);
}

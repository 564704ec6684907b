// `npm run build:worker` (and `npm run deploy`, which uploads this file without re-bundling): the
// control-plane Worker as one minified ES module, dist/worker.js. These options are the only
// definition of the Worker bundle: the test world (test/world/control-plane.ts) and the bench's
// size row build with them too, so tests run what is deployed.
import path from "node:path";
import { type BuildOptions, build } from "esbuild";
import { awsSdkTrims } from "./worker-bundle-trims.ts";

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
    plugins: [awsSdkTrims],
    minify: true,
    outfile,
    logLevel: "warning",
  };
}

/** Builds the Worker; returns its size in bytes. */
export async function buildWorker(outfile = path.join(root, "dist/worker.js")): Promise<number> {
  const result = await build({ ...workerBuildOptions(outfile), metafile: true });
  return Object.values(result.metafile.outputs).reduce((sum, output) => sum + output.bytes, 0);
}

if (process.argv[1] === import.meta.filename) {
  const outfile = process.argv[2] === undefined ? undefined : path.resolve(process.argv[2]);
  const bytes = await buildWorker(outfile);
  process.stdout.write(`built ${path.relative(process.cwd(), outfile ?? path.join(root, "dist/worker.js"))}: ${Math.round(bytes / 1024)} KB\n`);
}

// Size of the control-plane Worker exactly as `npm run deploy` uploads it (scripts/build-worker.ts),
// and gzipped, which is what Cloudflare's size limit counts.
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { gzipSync } from "node:zlib";
import { buildWorker } from "../scripts/build-worker.ts";

export async function workerBundleSize(): Promise<{ kb: number; gzipKb: number }> {
  const dir = await mkdtemp(path.join(tmpdir(), "rewind-bench-worker-"));
  try {
    const outfile = path.join(dir, "worker.js");
    const bytes = await buildWorker(outfile, path.join(dir, "assets"));
    const gzipped = gzipSync(await readFile(outfile), { level: 9 }).length;
    return { kb: Math.round(bytes / 1024), gzipKb: Math.round(gzipped / 1024) };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

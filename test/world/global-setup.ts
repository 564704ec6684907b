// Once per integration run: fail fast, with what to install, when a real component is missing
// (nothing is skipped), and sweep up what killed runs left behind more than two hours ago.
import { access, readdir, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { BUSYBOX } from "../../infra/demo-stack/images.ts";
import { workerBundlesDir } from "./control-plane.ts";
import { removeStale, requireDocker } from "./docker.ts";
import { removeStaleClusters, requirePostgresBinaries } from "./postgres.ts";
import { removeStaleSetAside } from "./set-aside.ts";

const CHROMIUM = "/usr/lib/chromium/chromium";
// The Durable Object storage upgrade test rewrites workerd's SQLite files with it.
const SQLITE3 = "/usr/bin/sqlite3";
export const STALE_MS = 2 * 60 * 60 * 1000;

async function requireFile(file: string, aptPackage: string): Promise<void> {
  try {
    await access(file);
  } catch {
    throw new Error(`${file} missing: apt-get install -y ${aptPackage}`);
  }
}

async function missing(check: () => Promise<unknown>): Promise<string | undefined> {
  try {
    await check();
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}

/** Worker bundles no run rewrote for a while (and per-process bundle directories of older test worlds). */
async function removeStaleWorkerBundles(olderThanMs: number): Promise<void> {
  const stale = async (file: string): Promise<boolean> => Date.now() - (await stat(file)).mtimeMs > olderThanMs;
  const bundles = (
    await readdir(workerBundlesDir).catch((error: NodeJS.ErrnoException) => {
      if (error.code === "ENOENT") return [];
      throw error;
    })
  ).map((name) => path.join(workerBundlesDir, name));
  const legacy = (await readdir(tmpdir()))
    .filter((name) => name.startsWith("rewind-worker-") && name !== path.basename(workerBundlesDir))
    .map((name) => path.join(tmpdir(), name));
  for (const file of [...bundles, ...legacy]) if (await stale(file).catch(() => false)) await rm(file, { recursive: true, force: true });
}

export default async function setup(): Promise<void> {
  const problems = (
    await Promise.all([
      missing(requireDocker),
      missing(() => requirePostgresBinaries()),
      missing(() => requireFile(BUSYBOX, "busybox-static")),
      missing(() => requireFile(CHROMIUM, "chromium")),
      missing(() => requireFile(SQLITE3, "sqlite3")),
    ])
  ).filter((p): p is string => p !== undefined);
  if (problems.length > 0) {
    throw new Error(`The integration test world is incomplete (bash scripts/setup.sh installs everything):\n- ${problems.join("\n- ")}`);
  }
  await removeStale(await requireDocker(), STALE_MS);
  await removeStaleSetAside(await requireDocker(), STALE_MS);
  await removeStaleClusters(STALE_MS);
  await removeStaleWorkerBundles(STALE_MS);
}

// Once per integration run: fail fast, with what to install, when a real component is missing
// (nothing is skipped), and sweep up what killed runs left behind more than two hours ago.
import { access } from "node:fs/promises";
import { BUSYBOX } from "../../infra/demo-stack/images.ts";
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
}

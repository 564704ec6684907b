// Rollbacks set MinIO data aside outside the volume (<docker root>/rewind-set-aside/<volume>/, see
// agent/src/host/set-aside-dir.ts): a test run cleans its own up, and this sweeps what killed runs
// left, only for the rollback scenarios' volumes (project prefix `rwrb`) that no longer exist.
import { readdir, rm, stat } from "node:fs/promises";
import path from "node:path";
import type Docker from "dockerode";
import { setAsideDirName } from "../../agent/src/host/set-aside-dir.ts";

const scenarioVolume = /^rwrb[a-z0-9]+_/;

export async function removeStaleSetAside(docker: Docker, olderThanMs: number): Promise<number> {
  const root = path.join((await docker.info()).DockerRootDir as string, setAsideDirName);
  const cutoff = Date.now() - olderThanMs;
  let removed = 0;
  for (const name of (await readdir(root).catch(() => [])).filter((n) => scenarioVolume.test(n))) {
    const dir = path.join(root, name);
    if ((await stat(dir)).mtimeMs >= cutoff) continue;
    const volumeGone = await docker
      .getVolume(name)
      .inspect()
      .then(
        () => false,
        (error: { statusCode?: number }) => error.statusCode === 404,
      );
    if (!volumeGone) continue;
    await rm(dir, { recursive: true, force: true });
    removed++;
  }
  return removed;
}

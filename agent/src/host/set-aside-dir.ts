// Where a rollback sets MinIO data aside: OUTSIDE the volume's own directory, in
// `<docker root>/rewind-set-aside/<volume>/` (e.g. /var/lib/docker/rewind-set-aside/app_minio/), so
// `docker compose down --volumes` or `docker volume rm` leave the only copy of what was written
// under a bad release; on the same filesystem as the volume, so setting aside stays one atomic rename.
import { mkdir, stat } from "node:fs/promises";
import path from "node:path";
import { RewindError } from "../../../shared/errors.ts";

export const setAsideDirName = "rewind-set-aside";

/**
 * `<root>/volumes/<volume>/_data` → `<root>/rewind-set-aside/<volume>`. A data directory of another
 * shape (a volume driver's own mount point) has no such place: refused, before anything changes.
 */
export function setAsideDirOf(dataDir: string): string {
  const volumeDir = path.dirname(dataDir);
  const volumesDir = path.dirname(volumeDir);
  if (path.basename(dataDir) !== "_data" || path.basename(volumesDir) !== "volumes") {
    throw new RewindError(
      "PRECONDITION_FAILED",
      `the MinIO volume is mounted at ${dataDir}, not at <docker root>/volumes/<volume>/_data: Rewind has nowhere outside the volume to set its data aside`,
    );
  }
  return path.join(path.dirname(volumesDir), setAsideDirName, path.basename(volumeDir));
}

/** Creates the set-aside directory and proves a rename from the volume into it stays on one filesystem. */
export async function prepareSetAsideDir(dataDir: string): Promise<string> {
  const dir = setAsideDirOf(dataDir);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const [volume, aside] = await Promise.all([stat(path.dirname(dataDir)), stat(dir)]);
  if (volume.dev !== aside.dev) {
    throw new RewindError(
      "PRECONDITION_FAILED",
      `${dir} is on another filesystem than ${dataDir}: setting the MinIO data aside would be a copy, not an atomic rename; put ${path.dirname(dir)} on the volumes' filesystem`,
    );
  }
  return dir;
}

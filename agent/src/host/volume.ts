// A Docker volume's data directory and its swap. The staged copy is unpacked beside `_data` (same
// filesystem), so swapping is two renames: seconds whatever the size, and the live data is kept aside.
import { mkdir, rename, rm, stat } from "node:fs/promises";
import path from "node:path";
import type Docker from "dockerode";
import { RewindError } from "../../../shared/errors.ts";

export async function volumeDataDir(docker: Docker, volume: string): Promise<string> {
  try {
    const info = await docker.getVolume(volume).inspect();
    return info.Mountpoint;
  } catch (error) {
    throw new RewindError("PRECONDITION_FAILED", `docker volume '${volume}' cannot be inspected: ${(error as Error).message}`, {
      cause: error,
    });
  }
}

export async function exists(file: string): Promise<boolean> {
  try {
    await stat(file);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return false;
    throw error;
  }
}

export interface VolumeSwapPaths {
  /** The volume's live `_data`. */
  live: string;
  staged: string;
  aside: string;
}

export function swapPaths(dataDir: string, stagedName: string, asideName: string): VolumeSwapPaths {
  const root = path.dirname(dataDir);
  return { live: dataDir, staged: path.join(root, stagedName), aside: path.join(root, asideName) };
}

/**
 * Live → aside, staged → live. Idempotent: a run killed between the two renames finishes the swap.
 * Throws when neither the staged copy nor a finished swap is there (nothing safe to do).
 */
export async function swapVolumeData(paths: VolumeSwapPaths): Promise<void> {
  const [live, staged, aside] = await Promise.all([exists(paths.live), exists(paths.staged), exists(paths.aside)]);
  if (aside && live && !staged) return;
  if (!staged) throw new RewindError("STEP_FAILED", `the staged MinIO data ${paths.staged} is missing; run the stage step again`);
  if (live && !aside) await rename(paths.live, paths.aside);
  else if (live && aside) throw new RewindError("STEP_FAILED", `both ${paths.live} and ${paths.aside} exist beside the staged copy; inspect them by hand`);
  await rename(paths.staged, paths.live);
}

/** The reverse: the rolled-back data is removed (it is a copy of the backup) and the aside data goes back live. */
export async function unswapVolumeData(paths: VolumeSwapPaths): Promise<void> {
  if (!(await exists(paths.aside))) return;
  if (await exists(paths.live)) await rm(paths.live, { recursive: true, force: true });
  await rename(paths.aside, paths.live);
}

/** A fresh, empty staging directory (a previous interrupted attempt's leftovers are removed). */
export async function freshDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
}

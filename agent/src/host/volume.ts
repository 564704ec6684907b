// A Docker volume's data directory and its swap. The staged copy is unpacked beside `_data` (same
// filesystem), so swapping is two renames: seconds whatever the size, and the live data is kept aside.
import { mkdir, rename, rm, stat } from "node:fs/promises";
import path from "node:path";
import type Docker from "dockerode";
import { isRewindError, RewindError } from "../../../shared/errors.ts";
import { setAsideDirOf } from "./set-aside-dir.ts";

export async function volumeDataDir(docker: Docker, volume: string): Promise<string> {
  try {
    const info = await docker.getVolume(volume).inspect();
    return info.Mountpoint;
  } catch (error) {
    // A stalled engine is not a missing volume: its TIMED_OUT says what to fix.
    if (isRewindError(error, "TIMED_OUT")) throw error;
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
  /** Where the swap sets the pre-rollback data aside. */
  aside: string;
  /** Where an undo sets the rolled-back data aside once services ran on it. */
  post: string;
}

/** The staged copy beside `_data` (a copy of the backup); the set-aside copies outside the volume (set-aside-dir.ts). */
export function swapPaths(dataDir: string, names: { staged: string; aside: string; post: string }): VolumeSwapPaths {
  const asideDir = setAsideDirOf(dataDir);
  return {
    live: dataDir,
    staged: path.join(path.dirname(dataDir), names.staged),
    aside: path.join(asideDir, names.aside),
    post: path.join(asideDir, names.post),
  };
}

/**
 * Live → aside, staged → live. Idempotent: a run killed between the two renames finishes the swap.
 * Throws when neither the staged copy nor a finished swap is there (nothing safe to do).
 */
export async function swapVolumeData(paths: VolumeSwapPaths): Promise<void> {
  const [live, staged, aside] = await Promise.all([exists(paths.live), exists(paths.staged), exists(paths.aside)]);
  if (aside && live && !staged) return;
  if (!staged) throw new RewindError("STEP_FAILED", `the staged MinIO data ${paths.staged} is missing; run the stage step again`);
  if (live && !aside) {
    // Preflight made the set-aside directory; a resumed run after someone removed it makes it again.
    await mkdir(path.dirname(paths.aside), { recursive: true, mode: 0o700 });
    await rename(paths.live, paths.aside);
  } else if (live && aside) throw new RewindError("STEP_FAILED", `both ${paths.live} and ${paths.aside} exist beside the staged copy; inspect them by hand`);
  await rename(paths.staged, paths.live);
}

/**
 * The reverse: the aside data goes back live. The rolled-back data then live is renamed to `post`
 * when services ran on it (MinIO may hold new objects), else removed (an untouched copy of the backup).
 * Idempotent; says whether this call brought the aside data back and where the rolled-back data is set aside.
 */
export async function unswapVolumeData(paths: VolumeSwapPaths, served: boolean): Promise<{ restored: boolean; setAside?: string }> {
  const post = paths.post;
  // A run cut between its two renames (or done already) set the rolled-back data aside: say so again.
  let setAside = (await exists(post)) ? post : undefined;
  if (!(await exists(paths.aside))) return { restored: false, ...(setAside ? { setAside } : {}) };
  if (await exists(paths.live)) {
    if (served) {
      if (setAside) throw new RewindError("STEP_FAILED", `both ${paths.live} and ${post} exist; inspect them by hand before undoing`);
      await mkdir(path.dirname(post), { recursive: true, mode: 0o700 });
      await rename(paths.live, post);
      setAside = post;
    } else {
      await rm(paths.live, { recursive: true, force: true });
    }
  }
  await rename(paths.aside, paths.live);
  return { restored: true, ...(setAside ? { setAside } : {}) };
}

/** A fresh, empty staging directory (a previous interrupted attempt's leftovers are removed). */
export async function freshDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
}

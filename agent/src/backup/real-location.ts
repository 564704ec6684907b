// Where a backup's paths really lead. `.last-deployment-backup`, a --backup directory and a
// manifest's file names are plain text, checked lexically; a symlink passes such checks, and these
// paths are restored over live data. So each path is followed through every symlink (a dangling
// one too: its target may appear later) and must really be inside the real backups directory.
// The files restored are checked once more where they are read: on the descriptor opened (openInside).
import { type FileHandle, lstat, open, readlink, realpath } from "node:fs/promises";
import path from "node:path";
import { RewindError } from "../../../shared/errors.ts";

/** Links followed by hand (dangling ones) before giving up, as the kernel's ELOOP limit does. */
const maxHops = 40;

function unresolvable(p: string, error: unknown): RewindError {
  return new RewindError("BACKUP_INVALID", `cannot tell where ${p} really leads: ${(error as Error).message}`, { cause: error });
}

/**
 * `p` with every symlink resolved. A part not on disk (a file still to fetch) is appended to its
 * deepest existing ancestor's real path; a dangling symlink is followed to where it points.
 */
export async function realLocation(p: string): Promise<string> {
  let current = path.resolve(p);
  let rest: string[] = [];
  for (let hops = 0; hops <= maxHops; ) {
    try {
      return path.join(await realpath(current), ...rest);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw unresolvable(p, error);
    }
    const link = await lstat(current).then(
      (info) => info.isSymbolicLink(),
      () => false,
    );
    if (link) {
      current = path.resolve(path.dirname(current), await readlink(current));
      hops += 1;
      continue;
    }
    const parent = path.dirname(current);
    if (parent === current) return path.join(current, ...rest);
    rest = [path.basename(current), ...rest];
    current = parent;
  }
  throw unresolvable(p, new Error(`more than ${maxHops} symbolic links`));
}

/** `real` (where `target` really leads), refused (BACKUP_INVALID naming both) unless strictly inside `root`'s real location. */
async function refuseOutside(root: string, real: string, target: string, what: string, rootWhat: string): Promise<string> {
  const realRoot = await realLocation(root);
  const back = path.relative(realRoot, real);
  if (back === "" || back === ".." || back.startsWith(`..${path.sep}`) || path.isAbsolute(back)) {
    const via = real === path.resolve(target) ? "" : ` (it really is ${real})`;
    throw new RewindError("BACKUP_INVALID", `${what} ${target} is not inside ${rootWhat} ${realRoot}${via}; refused`);
  }
  return real;
}

/**
 * `target`'s real location, refused (BACKUP_INVALID naming it) unless strictly inside `root`'s
 * real location. `what` and `rootWhat` name both for the operator.
 */
export async function realPathInside(root: string, target: string, what: string, rootWhat: string): Promise<string> {
  return refuseOutside(root, await realLocation(target), target, what, rootWhat);
}

/**
 * `file` opened for reading, refused (BACKUP_INVALID) unless the file actually opened lies inside
 * `root`. Paths are checked when a backup is resolved, but read later: a writer of the backups
 * directory could swap a symlink in (for the file or a directory on its way) in between. The
 * descriptor's /proc link names the file really opened, so what is read is what was checked.
 */
export async function openInside(root: string, file: string, what: string, rootWhat: string): Promise<FileHandle> {
  const handle = await open(file, "r");
  try {
    await refuseOutside(root, await readlink(`/proc/self/fd/${handle.fd}`), file, what, rootWhat);
    return handle;
  } catch (error) {
    await handle.close();
    throw error;
  }
}

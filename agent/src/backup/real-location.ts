// Where a backup's paths really lead. `.last-deployment-backup`, a --backup directory and a
// manifest's file names are plain text, checked lexically; a symlink passes such checks, and these
// paths are restored over live data. So each path is followed through every symlink (a dangling
// one too: its target may appear later) and must really be inside the real backups directory.
import { lstat, readlink, realpath } from "node:fs/promises";
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

/**
 * `target`'s real location, refused (BACKUP_INVALID naming it) unless strictly inside `root`'s
 * real location. `what` and `rootWhat` name both for the operator.
 */
export async function realPathInside(root: string, target: string, what: string, rootWhat: string): Promise<string> {
  const [realRoot, real] = await Promise.all([realLocation(root), realLocation(target)]);
  const back = path.relative(realRoot, real);
  if (back === "" || back === ".." || back.startsWith(`..${path.sep}`) || path.isAbsolute(back)) {
    const via = real === path.resolve(target) ? "" : ` (it really is ${real})`;
    throw new RewindError("BACKUP_INVALID", `${what} ${target} is not inside ${rootWhat} ${realRoot}${via}; refused`);
  }
  return real;
}

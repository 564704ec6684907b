// Files that must survive a crash whole: written to a fresh temporary file beside the target,
// fsync'd, renamed into place, and the directory fsync'd, so after a power cut the file is either
// the old one or the whole new one. Everything the agent writes this way is private (0600 / 0700):
// journals hold container environments, configs hold keys.
import { chmod, mkdir, open, readdir, rename, rm } from "node:fs/promises";
import path from "node:path";
import { randomId } from "../../../shared/signing.ts";

export const privateFileMode = 0o600;
export const privateDirMode = 0o700;

/** A new or renamed entry is only durable once its directory is synced too. */
export async function fsyncDir(dir: string): Promise<void> {
  const handle = await open(dir, "r");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Flushes a file written by a stream (a dump, an archive) to disk. */
export async function fsyncFile(file: string): Promise<void> {
  const handle = await open(file, "r");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Creates `dir` (and missing parents) private to the agent's user. */
export async function mkdirPrivate(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: privateDirMode });
}

/** Writes `content` to a new file that must not exist yet (O_EXCL), synced before it returns. */
export async function writeNewFileSynced(file: string, content: string, mode = privateFileMode): Promise<void> {
  const handle = await open(file, "wx", mode);
  try {
    await handle.writeFile(content, "utf8");
    await handle.sync();
  } finally {
    await handle.close();
  }
}

export async function writeFileDurably(file: string, content: string, mode = privateFileMode): Promise<void> {
  const dir = path.dirname(file);
  await mkdirPrivate(dir);
  const temp = path.join(dir, `.${path.basename(file)}.${randomId()}.tmp`);
  try {
    await writeNewFileSynced(temp, content, mode);
    await rename(temp, file);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
  await fsyncDir(dir);
}

/**
 * Makes the files of a directory written by streams (dumps, archives) private and durable, then the
 * directory itself: after this, a manifest that calls them complete cannot outlive them in a power cut.
 */
export async function sealDirectory(dir: string): Promise<void> {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const file = path.join(dir, entry.name);
    await chmod(file, privateFileMode);
    await fsyncFile(file);
  }
  await chmod(dir, privateDirMode);
  await fsyncDir(dir);
}

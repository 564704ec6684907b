// Files that must survive a crash whole: written to a temp file, fsync'd, renamed into place, and
// the directory fsync'd, so after a power cut the file is either the old one or the whole new one.
import { randomUUID } from "node:crypto";
import { mkdir, open, rename, rm } from "node:fs/promises";
import path from "node:path";

/** A new or renamed entry is only durable once its directory is synced too. */
export async function fsyncDir(dir: string): Promise<void> {
  const handle = await open(dir, "r");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * `mode` applies from creation: a file holding secrets is never readable by others, not even briefly.
 * The temporary name is unique, so two writers of one file never share a half-written temp.
 */
export async function writeFileDurably(file: string, content: string, mode = 0o666): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  const temp = path.join(path.dirname(file), `.${path.basename(file)}.${randomUUID()}.tmp`);
  const handle = await open(temp, "wx", mode);
  try {
    await handle.writeFile(content, "utf8");
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await rename(temp, file);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
  await fsyncDir(path.dirname(file));
}

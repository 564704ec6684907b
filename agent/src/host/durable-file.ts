// Files that must survive a crash whole: written to a temp file, fsync'd, renamed into place, and
// the directory fsync'd, so after a power cut the file is either the old one or the whole new one.
import { mkdir, open, rename } from "node:fs/promises";
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

/** `mode` applies from creation: a file holding secrets is never readable by others, not even briefly. */
export async function writeFileDurably(file: string, content: string, mode = 0o666): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  const temp = `${file}.tmp-${process.pid}`;
  const handle = await open(temp, "w", mode);
  try {
    await handle.writeFile(content);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(temp, file);
  await fsyncDir(path.dirname(file));
}

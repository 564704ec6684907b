// Free disk space where the staged data will land, read with statfs (no `df` parsing).
import { statfs } from "node:fs/promises";

/** Bytes available to an unprivileged writer on the filesystem holding `dir`. */
export async function freeBytes(dir: string): Promise<number> {
  const stats = await statfs(dir);
  return stats.bavail * stats.bsize;
}

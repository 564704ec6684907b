// Listing a directory that may not exist yet (no backups, no rollbacks so far). Only ENOENT means
// "none": a permission error or an I/O error is thrown, never reported as an empty directory.
import type { Dirent } from "node:fs";
import { readdir } from "node:fs/promises";

function isMissing(error: unknown): boolean {
  return (error as NodeJS.ErrnoException).code === "ENOENT";
}

export async function namesIn(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch (error) {
    if (isMissing(error)) return [];
    throw error;
  }
}

export async function entriesIn(dir: string, options: { recursive?: boolean } = {}): Promise<Dirent[]> {
  try {
    return await readdir(dir, { withFileTypes: true, recursive: options.recursive === true });
  } catch (error) {
    if (isMissing(error)) return [];
    throw error;
  }
}

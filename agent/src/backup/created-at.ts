// When a backup was created: its manifest's createdAt, else (a seed backup not yet adopted, or a
// manifest unreadable) the oldest of its files' modification times, the moment its first archive
// was finished. Directory names are no clock: the seed names them in local time, Rewind in UTC.
import { readdir, stat } from "node:fs/promises";
import path from "node:path";
import { isRewindError } from "../../../shared/errors.ts";
import type { BackupManifest } from "../../../shared/schemas/manifest.ts";
import { manifestFileName } from "./layout.ts";
import { readManifest } from "./manifest-file.ts";

export interface DatedBackup {
  dir: string;
  createdAt: number;
  /** Present when the backup has a readable manifest. */
  manifest?: BackupManifest;
  /** Why its manifest.json could not be used, when it has one. */
  manifestProblem?: string;
}

async function filesTime(dir: string): Promise<number> {
  const entries = await readdir(dir, { withFileTypes: true });
  const times: number[] = [];
  for (const entry of entries.filter((e) => e.isFile() && e.name !== manifestFileName)) {
    times.push((await stat(path.join(dir, entry.name))).mtimeMs);
  }
  return times.length > 0 ? Math.min(...times) : (await stat(dir)).mtimeMs;
}

export async function datedBackup(dir: string): Promise<DatedBackup> {
  try {
    const manifest = await readManifest(dir);
    return { dir, createdAt: Date.parse(manifest.createdAt), manifest };
  } catch (error) {
    // No manifest (a seed backup not adopted yet) is no problem; a damaged one is worth saying.
    const problem = isRewindError(error, "NOT_FOUND") ? {} : { manifestProblem: (error as Error).message };
    return { dir, createdAt: await filesTime(dir), ...problem };
  }
}

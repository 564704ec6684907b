// Staged MinIO copies (`_data.rewind-stage-<id>` beside a volume's `_data`) that an interrupted
// rollback left behind: each holds a whole unpacked backup, and nothing else ever removes them. A
// staged copy never held data an application served on (the swap renames it to `_data` while the
// services are stopped), so once no open rollback journal refers to it, it is only wasted disk.
// Set-aside copies live elsewhere under other names (set-aside-dir.ts) and are never touched here.
import type { Dirent } from "node:fs";
import { rm } from "node:fs/promises";
import path from "node:path";
import { entriesIn } from "../host/dir-entries.ts";
import { openRollbacks } from "./journal-file.ts";
import { dataDirPrefix, stagedDataDir } from "./names.ts";

/** Exactly a name `stagedDataDir` makes: the prefix, then a short id (lowercase letters and digits). */
const stagedName = new RegExp(`^${dataDirPrefix.stage.replace(/[.]/g, "\\.")}[a-z0-9]{1,16}$`);

export interface StaleStages {
  /** Directory names to remove. */
  stale: string[];
  /** Directory names kept because an open rollback (named) may still swap them in. */
  kept: { name: string; rollbackId: string }[];
}

/**
 * Pure: among the entries beside `_data`, Rewind's staged directories (real directories, not
 * symlinks) other than this rollback's own, split into stale ones and those an open rollback owns.
 */
export function staleStages(entries: readonly Pick<Dirent, "name" | "isDirectory">[], rollbackId: string | undefined, open: readonly string[]): StaleStages {
  const own = rollbackId === undefined ? undefined : stagedDataDir(rollbackId);
  const owners = new Map(open.map((id) => [stagedDataDir(id), id]));
  const result: StaleStages = { stale: [], kept: [] };
  for (const entry of entries) {
    if (!entry.isDirectory() || !stagedName.test(entry.name) || entry.name === own) continue;
    const owner = owners.get(entry.name);
    if (owner === undefined) result.stale.push(entry.name);
    else result.kept.push({ name: entry.name, rollbackId: owner });
  }
  return result;
}

/**
 * Removes the stale staged copies beside `liveDataDir` (a rollback's own, `rollbackId`, excepted; none
 * for the backup's retention pass); returns their paths and says what it kept, and why.
 */
export async function removeStaleStages(
  stateDir: string,
  liveDataDir: string,
  rollbackId: string | undefined,
  progress: (line: string) => void,
): Promise<string[]> {
  const volumeDir = path.dirname(liveDataDir);
  const found = staleStages(await entriesIn(volumeDir), rollbackId, await openRollbacks(stateDir, rollbackId ?? ""));
  for (const { name, rollbackId: owner } of found.kept) progress(`kept ${path.join(volumeDir, name)}: it is the staged copy of unfinished rollback ${owner}`);
  const removed: string[] = [];
  for (const name of found.stale) {
    const dir = path.join(volumeDir, name);
    await rm(dir, { recursive: true, force: true });
    progress(`removed ${dir}: a staged copy an interrupted rollback left (never served on; no open journal refers to it)`);
    removed.push(dir);
  }
  return removed;
}

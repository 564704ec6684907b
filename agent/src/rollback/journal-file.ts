// The journal on disk: `<stateDir>/rollbacks/<id>/journal.jsonl`, appended one line at a time and
// fsync'd before the engine moves on, so what it says happened did happen. It holds container
// environments (secrets), so it is private to the agent's user.
import { open, readFile, truncate } from "node:fs/promises";
import path from "node:path";
import { namesIn } from "../host/dir-entries.ts";
import { fsyncDir, fsyncFile, mkdirPrivate, privateFileMode } from "../host/durable-file.ts";
import type { JournalEntry } from "./journal.ts";
import { intactLength, parseJournal, replayJournal } from "./journal.ts";

export const rollbackDir = (stateDir: string, rollbackId: string): string => path.join(stateDir, "rollbacks", rollbackId);
export const journalPath = (stateDir: string, rollbackId: string): string => path.join(rollbackDir(stateDir, rollbackId), "journal.jsonl");

export async function appendJournal(file: string, entry: JournalEntry): Promise<void> {
  const dir = path.dirname(file);
  await mkdirPrivate(dir);
  const handle = await open(file, "a", privateFileMode);
  try {
    await handle.write(`${JSON.stringify(entry)}\n`);
    await handle.sync();
  } finally {
    await handle.close();
  }
  // The first line creates the file: sync the directory too, or a crash can lose the file itself.
  if (entry.kind === "begin") await fsyncDir(dir);
}

/**
 * Cuts off a last line a crash left half-written, so the next append starts on a line of its own
 * (appended after torn bytes it would make two corrupt lines, and the journal unreadable).
 */
export async function repairJournalTail(file: string): Promise<void> {
  const text = await readFile(file, "utf8");
  const keep = intactLength(text);
  if (keep === Buffer.byteLength(text)) return;
  await truncate(file, keep);
  await fsyncFile(file);
}

export async function readJournal(file: string): Promise<JournalEntry[] | undefined> {
  try {
    return parseJournal(await readFile(file, "utf8"));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
}

/**
 * Rollbacks under the state dir whose journal has no end, other than `except`: what may still own
 * the copies a rollback leaves on the way. A journal that cannot be read counts as open.
 */
export async function openRollbacks(stateDir: string, except: string): Promise<string[]> {
  const open: string[] = [];
  for (const id of await namesIn(path.join(stateDir, "rollbacks"))) {
    if (id === except) continue;
    const entries = await readJournal(journalPath(stateDir, id)).catch(() => []);
    if (entries === undefined) continue;
    if (entries.length === 0 || replayJournal(entries).end === undefined) open.push(id);
  }
  return open;
}

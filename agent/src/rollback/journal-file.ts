// The journal on disk: `<stateDir>/rollbacks/<id>/journal.jsonl`, appended one line at a time and
// fsync'd before the engine moves on, so what it says happened did happen.
import { mkdir, open, readFile } from "node:fs/promises";
import path from "node:path";
import { fsyncDir } from "../host/durable-file.ts";
import type { JournalEntry } from "./journal.ts";
import { parseJournal } from "./journal.ts";

export const rollbackDir = (stateDir: string, rollbackId: string): string => path.join(stateDir, "rollbacks", rollbackId);
export const journalPath = (stateDir: string, rollbackId: string): string =>
  path.join(rollbackDir(stateDir, rollbackId), "journal.jsonl");

export async function appendJournal(file: string, entry: JournalEntry): Promise<void> {
  const dir = path.dirname(file);
  await mkdir(dir, { recursive: true });
  const handle = await open(file, "a");
  try {
    await handle.write(`${JSON.stringify(entry)}\n`);
    await handle.sync();
  } finally {
    await handle.close();
  }
  // The first line creates the file: sync the directory too, or a crash can lose the file itself.
  if (entry.kind === "begin") await fsyncDir(dir);
}

export async function readJournal(file: string): Promise<JournalEntry[] | undefined> {
  try {
    return parseJournal(await readFile(file, "utf8"));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
}

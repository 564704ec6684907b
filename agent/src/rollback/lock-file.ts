// The rollback record on disk: `<stateDir>/rollback.lock` names the rollback that owns the host's
// data until its journal ends (its id, and once preflight knows it, the backup directory it restores,
// which backup retention keeps). It outlives the process: an interrupted rollback is resumed, never
// bypassed. Every change to it is made holding the host lock (host/host-lock.ts), which is what
// excludes other processes; this file only says what the host is in the middle of.
import { unlink } from "node:fs/promises";
import path from "node:path";
import * as z from "zod";
import { RewindError } from "../../../shared/errors.ts";
import { writeFileDurably } from "../host/durable-file.ts";
import { readLockFile } from "../host/pid-lock.ts";
import { journalPath, readJournal } from "./journal-file.ts";
import { replayJournal } from "./journal.ts";
import type { LockDecision, LockHolder } from "./lock.ts";
import { decideLock } from "./lock.ts";

export const lockPath = (stateDir: string): string => path.join(stateDir, "rollback.lock");

const lockHolder = z.object({
  rollbackId: z.string().min(1),
  pid: z.number().int(),
  acquiredAt: z.string(),
  backupDir: z.string().min(1).optional(),
}) satisfies z.ZodType<LockHolder>;

/** Which rollback owns the host's data; undefined when none does, LOCKED when the file is unreadable. */
export async function readRollbackLock(stateDir: string): Promise<LockHolder | undefined> {
  return readLockFile(lockPath(stateDir), lockHolder);
}

/** `holderAlive`: whether a live process holds the host lock (always false for its own holder). */
async function decide(stateDir: string, resume: boolean, holderAlive: boolean): Promise<{ decision: LockDecision; holder?: LockHolder }> {
  const holder = await readRollbackLock(stateDir);
  const journal = holder ? await readJournal(journalPath(stateDir, holder.rollbackId)) : undefined;
  const holderFinished = journal === undefined || replayJournal(journal).end !== undefined;
  const decision = decideLock({ holder, holderAlive: holder !== undefined && holderAlive, holderFinished }, { resume });
  return { decision, ...(holder ? { holder } : {}) };
}

const writeHolder = (stateDir: string, holder: LockHolder): Promise<void> => writeFileDurably(lockPath(stateDir), JSON.stringify(holder));

/** Records a new rollback as the owner (the caller holds the host lock); LOCKED when one is unfinished. */
export async function acquireLock(stateDir: string, rollbackId: string): Promise<void> {
  const { decision } = await decide(stateDir, false, false);
  if (decision.kind !== "acquire") {
    throw new RewindError("LOCKED", decision.kind === "locked" ? decision.reason : "an interrupted rollback must be resumed first", {
      details: { rollbackId: decision.rollbackId },
    });
  }
  await writeHolder(stateDir, { rollbackId, pid: process.pid, acquiredAt: new Date().toISOString() });
}

/** Takes over an unfinished rollback (the caller holds the host lock), keeping the backup it names; returns its id. */
export async function takeOverForResume(stateDir: string): Promise<string> {
  const { decision, holder } = await decide(stateDir, true, false);
  if (decision.kind !== "resume") {
    throw new RewindError("LOCKED", decision.kind === "locked" ? decision.reason : "there is no interrupted rollback to resume");
  }
  await writeHolder(stateDir, {
    rollbackId: decision.rollbackId,
    pid: process.pid,
    acquiredAt: new Date().toISOString(),
    ...(holder?.backupDir ? { backupDir: holder.backupDir } : {}),
  });
  return decision.rollbackId;
}

/** Names the backup directory the held rollback restores, so retention never deletes it. */
export async function recordLockBackup(stateDir: string, rollbackId: string, backupDir: string): Promise<void> {
  const holder = await readRollbackLock(stateDir);
  if (holder?.rollbackId !== rollbackId) {
    throw new RewindError("LOCKED", `rollback ${rollbackId} no longer owns ${lockPath(stateDir)}; another process took it over`);
  }
  await writeHolder(stateDir, { ...holder, backupDir });
}

/**
 * The id of the unfinished rollback the lock file names, whether or not a process runs it now: the
 * caller holds the host lock (then none does), or is about to wait for whoever holds it.
 */
export async function unfinishedRollback(stateDir: string): Promise<string | undefined> {
  const { decision } = await decide(stateDir, true, false);
  return decision.kind === "resume" ? decision.rollbackId : undefined;
}

export async function releaseLock(stateDir: string, rollbackId: string): Promise<void> {
  const holder = await readRollbackLock(stateDir);
  if (holder?.rollbackId !== rollbackId) return;
  await unlink(lockPath(stateDir)).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== "ENOENT") throw error;
  });
}

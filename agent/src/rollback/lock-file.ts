// The rollback lock on disk: `<stateDir>/rollback.lock` holds the rollback id, the pid and, once
// preflight knows it, the backup directory in use (backup retention keeps that one). It survives
// restarts; creation is exclusive, so two processes racing for a free host cannot both win.
import path from "node:path";
import * as z from "zod";
import { RewindError } from "../../../shared/errors.ts";
import { createLockFile, pidAlive, readLockFile, removeLockFile, replaceLockFile } from "../host/pid-lock.ts";
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

/** Who holds the rollback lock; undefined when nobody does, LOCKED when the file is unreadable. */
export async function readRollbackLock(stateDir: string): Promise<LockHolder | undefined> {
  return readLockFile(lockPath(stateDir), lockHolder);
}

async function decide(stateDir: string, resume: boolean): Promise<{ decision: LockDecision; holder?: LockHolder }> {
  const holder = await readRollbackLock(stateDir);
  const journal = holder ? await readJournal(journalPath(stateDir, holder.rollbackId)) : undefined;
  const holderFinished = journal === undefined || replayJournal(journal).end !== undefined;
  const decision = decideLock({ holder, holderAlive: holder ? pidAlive(holder.pid) : false, holderFinished }, { resume });
  return { decision, ...(holder ? { holder } : {}) };
}

/** Take the lock for a new rollback; throws LOCKED when another one holds it. */
export async function acquireLock(stateDir: string, rollbackId: string): Promise<void> {
  const holder: LockHolder = { rollbackId, pid: process.pid, acquiredAt: new Date().toISOString() };
  if (await createLockFile(lockPath(stateDir), holder)) return;
  const { decision } = await decide(stateDir, false);
  if (decision.kind !== "acquire") {
    throw new RewindError("LOCKED", decision.kind === "locked" ? decision.reason : "an interrupted rollback must be resumed first", {
      details: { rollbackId: decision.rollbackId },
    });
  }
  // The previous holder finished: its lock is stale, replace it.
  await removeLockFile(lockPath(stateDir));
  if (!(await createLockFile(lockPath(stateDir), holder))) {
    throw new RewindError("LOCKED", "another rollback took the lock at the same moment; try again", { retryable: true });
  }
}

/** Take over the lock of an interrupted rollback (keeping the backup it names); returns its id. */
export async function takeOverForResume(stateDir: string): Promise<string> {
  const { decision, holder } = await decide(stateDir, true);
  if (decision.kind !== "resume") {
    throw new RewindError("LOCKED", decision.kind === "locked" ? decision.reason : "there is no interrupted rollback to resume");
  }
  await replaceLockFile(lockPath(stateDir), {
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
    throw new RewindError("LOCKED", `rollback ${rollbackId} no longer holds ${lockPath(stateDir)}; another process took it over`);
  }
  await replaceLockFile(lockPath(stateDir), { ...holder, backupDir });
}

/** The id of an interrupted rollback whose holder is gone, if any (checked at agent start-up). */
export async function interruptedRollback(stateDir: string): Promise<string | undefined> {
  const { decision } = await decide(stateDir, true);
  return decision.kind === "resume" ? decision.rollbackId : undefined;
}

export async function releaseLock(stateDir: string, rollbackId: string): Promise<void> {
  const holder = await readRollbackLock(stateDir);
  if (holder?.rollbackId === rollbackId) await removeLockFile(lockPath(stateDir));
}

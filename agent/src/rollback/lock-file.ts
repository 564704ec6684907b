// The lock on disk: `<stateDir>/rollback.lock` holds the rollback id and pid, and survives restarts.
// Creation is exclusive (O_EXCL), so two processes racing for a free host cannot both win.
import { open, readFile, unlink } from "node:fs/promises";
import path from "node:path";
import { RewindError } from "../../../shared/errors.ts";
import { readJournal, journalPath, writeFileDurably } from "./journal-file.ts";
import { replayJournal } from "./journal.ts";
import type { LockDecision, LockHolder } from "./lock.ts";
import { decideLock } from "./lock.ts";

export const lockPath = (stateDir: string): string => path.join(stateDir, "rollback.lock");

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

async function readHolder(stateDir: string): Promise<LockHolder | undefined> {
  try {
    return JSON.parse(await readFile(lockPath(stateDir), "utf8")) as LockHolder;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw new RewindError("LOCKED", `the rollback lock ${lockPath(stateDir)} is unreadable; inspect it and remove it by hand`, {
      cause: error,
    });
  }
}

async function decide(stateDir: string, resume: boolean): Promise<LockDecision> {
  const holder = await readHolder(stateDir);
  const journal = holder ? await readJournal(journalPath(stateDir, holder.rollbackId)) : undefined;
  const holderFinished = journal === undefined || replayJournal(journal).end !== undefined;
  return decideLock({ holder, holderAlive: holder ? pidAlive(holder.pid) : false, holderFinished }, { resume });
}

async function createExclusive(stateDir: string, holder: LockHolder): Promise<boolean> {
  try {
    const handle = await open(lockPath(stateDir), "wx");
    try {
      await handle.write(JSON.stringify(holder));
      await handle.sync();
    } finally {
      await handle.close();
    }
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw error;
  }
}

/** Take the lock for a new rollback; throws LOCKED when another one holds it. */
export async function acquireLock(stateDir: string, rollbackId: string): Promise<void> {
  const holder: LockHolder = { rollbackId, pid: process.pid, acquiredAt: new Date().toISOString() };
  if (await createExclusive(stateDir, holder)) return;
  const decision = await decide(stateDir, false);
  if (decision.kind !== "acquire") {
    throw new RewindError("LOCKED", decision.kind === "locked" ? decision.reason : "an interrupted rollback must be resumed first", {
      details: { rollbackId: decision.rollbackId },
    });
  }
  // The previous holder finished: its lock is stale, replace it.
  await unlink(lockPath(stateDir)).catch(() => undefined);
  if (!(await createExclusive(stateDir, holder))) {
    throw new RewindError("LOCKED", "another rollback took the lock at the same moment; try again", { retryable: true });
  }
}

/** Take over the lock of an interrupted rollback; returns its id. */
export async function takeOverForResume(stateDir: string): Promise<string> {
  const decision = await decide(stateDir, true);
  if (decision.kind !== "resume") {
    throw new RewindError("LOCKED", decision.kind === "locked" ? decision.reason : "there is no interrupted rollback to resume");
  }
  await writeFileDurably(
    lockPath(stateDir),
    JSON.stringify({ rollbackId: decision.rollbackId, pid: process.pid, acquiredAt: new Date().toISOString() }),
  );
  return decision.rollbackId;
}

/** The id of an interrupted rollback whose holder is gone, if any (checked at agent start-up). */
export async function interruptedRollback(stateDir: string): Promise<string | undefined> {
  const decision = await decide(stateDir, true);
  return decision.kind === "resume" ? decision.rollbackId : undefined;
}

export async function releaseLock(stateDir: string, rollbackId: string): Promise<void> {
  const holder = await readHolder(stateDir);
  if (holder?.rollbackId === rollbackId) await unlink(lockPath(stateDir));
}

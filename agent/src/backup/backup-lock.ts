// One backup at a time per host: `<stateDir>/backup.lock` holds the owner's pid, so a lock left
// by a killed process is recognised as stale and replaced.
import path from "node:path";
import * as z from "zod";
import { RewindError } from "../../../shared/errors.ts";
import { createLockFile, pidAlive, readLockFile, removeLockFile } from "../host/pid-lock.ts";

export const backupLockPath = (stateDir: string): string => path.join(stateDir, "backup.lock");

const backupLockHolder = z.object({ pid: z.number().int(), acquiredAt: z.string() });

/** Takes the lock or throws LOCKED; returns the release function. */
export async function acquireBackupLock(stateDir: string): Promise<() => Promise<void>> {
  const file = backupLockPath(stateDir);
  const holder = { pid: process.pid, acquiredAt: new Date().toISOString() };
  if (!(await createLockFile(file, holder))) {
    const pid = await readLockFile(file, backupLockHolder).then(
      (current) => current?.pid,
      () => undefined,
    );
    if (pid !== undefined && pidAlive(pid)) {
      throw new RewindError("LOCKED", `a backup is already running on this host (pid ${pid}); wait for it to finish`, {
        retryable: true,
        details: { pid },
      });
    }
    await removeLockFile(file);
    if (!(await createLockFile(file, holder))) {
      throw new RewindError("LOCKED", "another backup took the lock at the same moment; try again", { retryable: true });
    }
  }
  return () => removeLockFile(file);
}

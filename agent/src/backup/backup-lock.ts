// One backup at a time per host: `<stateDir>/backup.lock` is created exclusively and holds the
// owner's pid, so a lock left by a killed process is recognised as stale and replaced.
import { mkdir, open, readFile, unlink } from "node:fs/promises";
import path from "node:path";
import { RewindError } from "../../../shared/errors.ts";

export const backupLockPath = (stateDir: string): string => path.join(stateDir, "backup.lock");

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to another user.
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

async function createExclusive(file: string): Promise<boolean> {
  try {
    const handle = await open(file, "wx");
    try {
      await handle.writeFile(JSON.stringify({ pid: process.pid, acquiredAt: new Date().toISOString() }));
    } finally {
      await handle.close();
    }
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw error;
  }
}

async function holderPid(file: string): Promise<number | undefined> {
  const text = await readFile(file, "utf8").catch(() => "");
  const match = /"pid":\s*(\d+)/.exec(text);
  return match?.[1] === undefined ? undefined : Number(match[1]);
}

/** Takes the lock or throws LOCKED; returns the release function. */
export async function acquireBackupLock(stateDir: string): Promise<() => Promise<void>> {
  await mkdir(stateDir, { recursive: true });
  const file = backupLockPath(stateDir);
  if (!(await createExclusive(file))) {
    const pid = await holderPid(file);
    if (pid !== undefined && pidAlive(pid)) {
      throw new RewindError("LOCKED", `a backup is already running on this host (pid ${pid}); wait for it to finish`, {
        retryable: true,
        details: { pid },
      });
    }
    await unlink(file).catch(() => undefined);
    if (!(await createExclusive(file))) {
      throw new RewindError("LOCKED", "another backup took the lock at the same moment; try again", { retryable: true });
    }
  }
  return async () => {
    await unlink(file);
  };
}

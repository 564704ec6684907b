// One operation at a time on a host, whichever process runs it: a rollback (the agent or
// `rewind rollback --local`), a backup (the agent, a cron `rewind backup`), a deploy. They all take
// `<stateDir>/host.lock`, so a backup can never archive MinIO data while a rollback renames it.
// A lock left by a dead process (killed, or from before a reboot) is taken over.
import path from "node:path";
import { RewindError } from "../../../shared/errors.ts";
import { claimLock, type LockRecord, releaseLockFile } from "./pid-lock.ts";

export const hostLockPath = (stateDir: string): string => path.join(stateDir, "host.lock");

export interface HostLock {
  readonly record: LockRecord;
  release(): Promise<void>;
}

export function describeHolder(holder: LockRecord): string {
  return `${holder.operation} (pid ${holder.pid}, since ${holder.acquiredAt})`;
}

/** Takes the host for `operation` ("backup", "rollback rb-…", "deploy"); LOCKED naming the holder otherwise. */
export async function acquireHostLock(stateDir: string, operation: string): Promise<HostLock> {
  const file = hostLockPath(stateDir);
  const result = await claimLock(file, operation);
  if (!result.acquired) {
    const { holder } = result;
    throw new RewindError("LOCKED", `this host is busy: ${describeHolder(holder)} holds ${file}; wait for it to finish`, {
      retryable: true,
      details: { holder: holder.operation, pid: holder.pid, acquiredAt: holder.acquiredAt },
    });
  }
  const { record } = result;
  return { record, release: () => releaseLockFile(file, record.token) };
}

/** Runs `work` holding the host, unless the caller already holds it and passes its lock. */
export async function withHostLock<T>(stateDir: string, operation: string, held: HostLock | undefined, work: (lock: HostLock) => Promise<T>): Promise<T> {
  if (held !== undefined) return work(held);
  const lock = await acquireHostLock(stateDir, operation);
  try {
    return await work(lock);
  } finally {
    await lock.release();
  }
}

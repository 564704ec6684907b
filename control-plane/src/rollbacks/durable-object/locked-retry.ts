// A rollback command the agent refused LOCKED (a backup or another command still running) is not a
// failed rollback: the host was only busy. The rollback stays queued and is sent again, as a new
// signed command, once the host is free, until the first command's validity runs out. Pure.
import type { LockedWait, RollbackRecord } from "../record.ts";

/** Without a word that the host finished its work, a waiting rollback is tried again this often. */
export const lockedRetryEveryMs = 15_000;
/** A resent command needs at least this long to reach the agent and be acknowledged. */
const minimumTtlSeconds = 10;

export type RetryDecision = { kind: "wait" } | { kind: "resend"; ttlSeconds: number } | { kind: "give-up"; outcome: { code: string; message: string } };

/** `hostFree`: a command of this host just finished, so the lock may be free now. */
export function decideLockedRetry(record: RollbackRecord, now: number, hostFree: boolean): RetryDecision {
  const wait = record.lockedWait;
  if (wait?.retryAt === undefined || record.state !== "queued") return { kind: "wait" };
  const ttlSeconds = Math.floor((wait.validUntil - now) / 1000);
  if (ttlSeconds < minimumTtlSeconds) {
    return {
      kind: "give-up",
      outcome: {
        code: "LOCKED",
        message: `the host stayed busy until the rollback's command expired at ${new Date(wait.validUntil).toISOString()} (${wait.attempts} tries): ${wait.reason}`,
      },
    };
  }
  if (!hostFree && wait.retryAt > now) return { kind: "wait" };
  return { kind: "resend", ttlSeconds };
}

/** The wait after one more LOCKED refusal; the validity is the first command's. */
export function lockedWaitAfter(record: RollbackRecord, reason: string, now: number, firstValidUntil: number): LockedWait {
  return {
    reason,
    retryAt: now + lockedRetryEveryMs,
    validUntil: record.lockedWait?.validUntil ?? firstValidUntil,
    attempts: (record.lockedWait?.attempts ?? 0) + 1,
  };
}

// One rollback owns a host's data until its journal ends. The decision is pure: which rollback owns
// it, whether a live process runs it, did its journal end. An owner no process runs any more with an
// unfinished journal means "resume it", never "steal it".

export interface LockHolder {
  rollbackId: string;
  pid: number;
  acquiredAt: string;
  /** The backup directory the rollback restores, once preflight resolved it. */
  backupDir?: string;
}

export interface LockFacts {
  holder?: LockHolder;
  holderAlive: boolean;
  /** Whether the holder's journal has its end entry. */
  holderFinished: boolean;
}

export type LockDecision = { kind: "acquire" } | { kind: "locked"; reason: string; rollbackId: string } | { kind: "resume"; rollbackId: string };

/** Deciding for a new rollback (`resume: false`) or for `--resume`. */
export function decideLock(facts: LockFacts, intent: { resume: boolean }): LockDecision {
  const holder = facts.holder;
  if (!holder || facts.holderFinished) {
    return intent.resume ? { kind: "locked", reason: "there is no interrupted rollback to resume", rollbackId: holder?.rollbackId ?? "" } : { kind: "acquire" };
  }
  if (facts.holderAlive) {
    return {
      kind: "locked",
      reason: `rollback ${holder.rollbackId} is running; wait for it to finish`,
      rollbackId: holder.rollbackId,
    };
  }
  if (intent.resume) return { kind: "resume", rollbackId: holder.rollbackId };
  return {
    kind: "locked",
    reason: `rollback ${holder.rollbackId} did not finish (interrupted, or its undo failed); resume it with 'rewind rollback --local --resume' before starting another`,
    rollbackId: holder.rollbackId,
  };
}

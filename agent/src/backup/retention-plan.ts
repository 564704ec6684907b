// Which backups retention keeps: the newest N, and always the one a rollback is using. When a
// rollback holds the lock but we cannot tell which backup it uses, nothing is removed.

export type InUse =
  | { kind: "none" }
  | { kind: "backup"; name: string; rollbackId: string }
  | { kind: "unknown"; reason: string };

export interface RetentionPlan {
  keep: string[];
  remove: string[];
  /** Why a backup beyond the newest N was kept, for the operator. */
  notes: string[];
}

/** `names` are `pre-deployment-<TS>` directory names; their timestamps sort lexically by time. */
export function planRetention(names: readonly string[], keepNewest: number, inUse: InUse): RetentionPlan {
  if (!Number.isInteger(keepNewest) || keepNewest < 1) {
    throw new TypeError(`retention must keep at least one backup, got ${keepNewest}`);
  }
  const newestFirst = [...new Set(names)].sort().reverse();
  const beyond = newestFirst.slice(keepNewest);
  if (inUse.kind === "unknown" && beyond.length > 0) {
    return { keep: newestFirst, remove: [], notes: [`nothing removed: ${inUse.reason}`] };
  }
  const protectedName = inUse.kind === "backup" ? inUse.name : undefined;
  const remove = beyond.filter((name) => name !== protectedName);
  const notes =
    inUse.kind === "backup" && beyond.includes(inUse.name)
      ? [`${inUse.name} kept beyond the newest ${keepNewest}: rollback ${inUse.rollbackId} is using it`]
      : [];
  return { keep: newestFirst.filter((name) => !remove.includes(name)), remove, notes };
}

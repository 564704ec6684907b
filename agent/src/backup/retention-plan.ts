// Which backups retention keeps: the newest N by creation time (never by directory name: the seed
// names its backups in local time, Rewind in UTC), and always the one a rollback is using and the
// one `.last-deployment-backup` names. When a rollback holds the lock but we cannot tell which
// backup it uses, nothing is removed.

export type InUse = { kind: "none" } | { kind: "backup"; name: string; rollbackId: string } | { kind: "unknown"; reason: string };

export interface BackupEntry {
  /** `pre-deployment-<TS>` directory name. */
  name: string;
  /** Milliseconds since the epoch: the manifest's createdAt, else the files' own time. */
  createdAt: number;
}

export interface RetentionPlan {
  /** Newest first. */
  keep: string[];
  remove: string[];
  /** Why a backup beyond the newest N was kept, for the operator. */
  notes: string[];
}

/** Newest first by creation time; equal times fall back to the name, so the order is stable. */
export function newestFirst<T extends BackupEntry>(backups: readonly T[]): T[] {
  return [...backups].sort((a, b) => b.createdAt - a.createdAt || (a.name < b.name ? 1 : a.name > b.name ? -1 : 0));
}

export function planRetention(backups: readonly BackupEntry[], keepNewest: number, inUse: InUse, lastDeployment?: string): RetentionPlan {
  if (!Number.isInteger(keepNewest) || keepNewest < 1) {
    throw new TypeError(`retention must keep at least one backup, got ${keepNewest}`);
  }
  const unique = [...new Map(backups.map((b) => [b.name, b])).values()];
  const ordered = newestFirst(unique).map((b) => b.name);
  const beyond = ordered.slice(keepNewest);
  if (inUse.kind === "unknown" && beyond.length > 0) {
    return { keep: ordered, remove: [], notes: [`nothing removed: ${inUse.reason}`] };
  }
  const notes: string[] = [];
  const kept = (name: string): boolean => {
    if (inUse.kind === "backup" && name === inUse.name) {
      notes.push(`${name} kept beyond the newest ${keepNewest}: rollback ${inUse.rollbackId} is using it`);
      return true;
    }
    if (name === lastDeployment) {
      notes.push(`${name} kept beyond the newest ${keepNewest}: .last-deployment-backup names it`);
      return true;
    }
    return false;
  };
  const remove = beyond.filter((name) => !kept(name));
  return { keep: ordered.filter((name) => !remove.includes(name)), remove, notes };
}

// Which rollbacks' set-aside copies (pre-rollback database and MinIO data) to prune: all but the
// newest `keep` successful full rollbacks. Pure; the I/O is in prune-set-aside.ts.

export interface FinishedRollback {
  rollbackId: string;
  startedAt: string;
}

export function prunable(finished: readonly FinishedRollback[], keep: number): string[] {
  return [...finished]
    .sort((a, b) => Date.parse(b.startedAt) - Date.parse(a.startedAt))
    .slice(keep)
    .map((r) => r.rollbackId);
}

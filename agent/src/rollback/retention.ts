// Which set-aside copies to remove (databases `<db>__rewind_pre_<id>` / `__rewind_post_<id>`, MinIO
// directories `_data.rewind-<id>` / `_data.rewind-post-<id>`, tags holding the pre-rollback release's
// images `rewind-keep/<project>/<service>:before-<id>`). A copy is the only one of what was
// written under a bad release, so it stays while its rollback is among the newest `keep`, or younger
// than the minimum age, or the current one; a copy no rollback report dates stays too. Pure; the I/O
// is in prune-set-aside.ts and hold-images.ts.

export interface SetAsideCopy {
  kind: "database" | "minio" | "image";
  /** The database name, the directory's full path, or the image tag. */
  location: string;
  /** The short rollback id the name carries (names.ts). */
  shortId: string;
}

export interface DatedRollback {
  rollbackId: string;
  shortId: string;
  /** When the rollback ended (or started, if it never recorded an end): ms since the epoch. */
  at: number;
}

export interface SetAsidePolicy {
  keep: number;
  minAgeMs: number;
  now: number;
  currentShortId?: string;
}

const databasePattern = /^(.*)__rewind_(?:pre|post)_([a-z0-9]{1,16})$/;
const dirPattern = /^_data\.rewind-(?:post-)?([a-z0-9]{1,16})$/;

/** The short id of a set-aside database of `liveDb` (its base may be cut to fit 63 bytes). */
export function setAsideDatabaseId(name: string, liveDb: string): string | undefined {
  const match = databasePattern.exec(name);
  return match?.[1] !== undefined && match[1] !== "" && liveDb.startsWith(match[1]) ? match[2] : undefined;
}

/** The short id of a set-aside MinIO directory; undefined for staged copies and anything else. */
export function setAsideDirId(name: string): string | undefined {
  return dirPattern.exec(name)?.[1];
}

/**
 * Why retention keeps a copy, or that it may go: `undated` (no rollback report dates it: kept until
 * removed by hand), `current` (the rollback now finishing), `newest` (among the newest `keep`),
 * `young` (under the minimum age), `due` (removable). `at` is when its rollback ended.
 */
export type SetAsideVerdict = { state: "undated" } | { state: "current" | "newest" | "young" | "due"; at: number };

export function judgeSetAside(
  copies: readonly SetAsideCopy[],
  rollbacks: readonly DatedRollback[],
  policy: SetAsidePolicy,
): { copy: SetAsideCopy; verdict: SetAsideVerdict }[] {
  if (!Number.isInteger(policy.keep) || policy.keep < 1) throw new TypeError(`set-aside retention must keep at least one rollback, got ${policy.keep}`);
  const dated = new Map<string, number>();
  for (const r of rollbacks) dated.set(r.shortId, Math.max(r.at, dated.get(r.shortId) ?? 0));
  const ids = [...new Set(copies.map((c) => c.shortId))].filter((id) => dated.has(id));
  const newest = new Set(ids.sort((a, b) => (dated.get(b) ?? 0) - (dated.get(a) ?? 0)).slice(0, policy.keep));
  const verdict = (id: string): SetAsideVerdict => {
    const at = dated.get(id);
    if (at === undefined) return { state: "undated" };
    if (id === policy.currentShortId) return { state: "current", at };
    if (newest.has(id)) return { state: "newest", at };
    return { state: policy.now - at >= policy.minAgeMs ? "due" : "young", at };
  };
  return copies.map((copy) => ({ copy, verdict: verdict(copy.shortId) }));
}

export function planSetAsidePrune(copies: readonly SetAsideCopy[], rollbacks: readonly DatedRollback[], policy: SetAsidePolicy): SetAsideCopy[] {
  return judgeSetAside(copies, rollbacks, policy).flatMap(({ copy, verdict }) => (verdict.state === "due" ? [copy] : []));
}

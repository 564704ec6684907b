// Applies `retention.setAside` and `retention.setAsideMinAgeDays`: finds every set-aside copy on the
// host (pre-rollback and post-undo databases in PostgreSQL; MinIO directories in the set-aside
// directory and, from older versions, beside the volume's `_data`), dates each by its rollback's
// report under the state dir, and removes those the plan allows. Returns the rollback ids whose
// copies were removed.
import { readFile, rm } from "node:fs/promises";
import path from "node:path";
import type Docker from "dockerode";
import type { AgentConfig } from "../config.ts";
import { databasesWithPrefix, dropDatabase } from "../host/postgres-restore.ts";
import { setAsideDirOf } from "../host/set-aside-dir.ts";
import { volumeDataDir } from "../host/volume.ts";
import { setAsideNamePrefix, shortId } from "./names.ts";
import type { RollbackReport } from "./report.ts";
import { type DatedRollback, planSetAsidePrune, type SetAsideCopy, type SetAsidePolicy, setAsideDatabaseId, setAsideDirId } from "./retention.ts";
import { namesIn } from "../host/dir-entries.ts";

const dayMs = 24 * 3600 * 1000;

/** Every rollback with a readable report under the state dir, dated by its end (or start). */
export async function datedRollbacks(stateDir: string): Promise<DatedRollback[]> {
  const root = path.join(stateDir, "rollbacks");
  const dated: DatedRollback[] = [];
  for (const id of await namesIn(root)) {
    const text = await readFile(path.join(root, id, "report.json"), "utf8").catch(() => undefined);
    if (text === undefined) continue;
    let report: Partial<Pick<RollbackReport, "startedAt" | "finishedAt">>;
    try {
      report = JSON.parse(text) as typeof report;
    } catch {
      // An unreadable report dates nothing: its copies are kept, never guessed at.
      continue;
    }
    const at = Date.parse(report.finishedAt ?? report.startedAt ?? "");
    if (Number.isFinite(at)) dated.push({ rollbackId: id, shortId: shortId(id), at });
  }
  return dated;
}

async function minioCopies(dir: string): Promise<SetAsideCopy[]> {
  const names = await namesIn(dir);
  return names.flatMap((name) => {
    const id = setAsideDirId(name);
    return id === undefined ? [] : [{ kind: "minio" as const, location: path.join(dir, name), shortId: id }];
  });
}

/** The set-aside databases of the project's database (none without one). */
export async function setAsideDatabases(config: AgentConfig): Promise<SetAsideCopy[]> {
  const database = config.project.database;
  if (!database) return [];
  // The base of a long name is cut to fit 63 bytes: list by a prefix every cut keeps, match exactly after.
  const names = await databasesWithPrefix(database.adminUrl, setAsideNamePrefix(database.name), database.timeouts);
  return names.flatMap((name) => {
    const id = setAsideDatabaseId(name, database.name);
    return id === undefined ? [] : [{ kind: "database" as const, location: name, shortId: id }];
  });
}

/** The set-aside MinIO directories of the project's volume (none without one). */
export async function setAsideDirs(config: AgentConfig, docker: Docker): Promise<SetAsideCopy[]> {
  const minio = config.project.minio;
  if (!minio) return [];
  const live = await volumeDataDir(docker, minio.volume);
  return [...(await minioCopies(setAsideDirOf(live))), ...(await minioCopies(path.dirname(live)))];
}

/** The retention settings every set-aside thing (data copies, image holds) is released by, as of now. */
export function setAsideRules(config: AgentConfig, currentId?: string): SetAsidePolicy {
  return {
    keep: config.retention.setAside,
    minAgeMs: config.retention.setAsideMinAgeDays * dayMs,
    now: Date.now(),
    ...(currentId === undefined ? {} : { currentShortId: shortId(currentId) }),
  };
}

export async function pruneSetAside(config: AgentConfig, docker: Docker, currentId: string): Promise<string[]> {
  const rollbacks = await datedRollbacks(config.stateDir);
  const copies = [...(await setAsideDatabases(config)), ...(await setAsideDirs(config, docker))];
  const remove = planSetAsidePrune(copies, rollbacks, setAsideRules(config, currentId));
  const database = config.project.database;
  for (const copy of remove) {
    if (copy.kind === "database" && database) await dropDatabase(database.adminUrl, copy.location, database.timeouts);
    if (copy.kind === "minio") await rm(copy.location, { recursive: true, force: true });
  }
  const removed = new Set(remove.map((c) => c.shortId));
  return rollbacks.filter((r) => removed.has(r.shortId)).map((r) => r.rollbackId);
}

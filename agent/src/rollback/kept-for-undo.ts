// What this host keeps from its rollbacks: set-aside data copies (databases, MinIO directories: the
// only copy of what was written under a bad release) and image holds (what an undo starts again).
// Each is dated by its rollback's report and judged by the rules that remove them (retention.ts), so
// `rewind status --local` says when each may go. A source that cannot be read is named, not skipped.
import path from "node:path";
import type Docker from "dockerode";
import { isRewindError } from "../../../shared/errors.ts";
import type { AgentConfig } from "../config.ts";
import { namesIn } from "../host/dir-entries.ts";
import { heldTags } from "./hold-images.ts";
import { shortId } from "./names.ts";
import { datedRollbacks, setAsideDatabases, setAsideDirs, setAsideRules } from "./prune-set-aside.ts";
import { judgeSetAside, type SetAsideCopy, type SetAsideVerdict } from "./retention.ts";

export interface KeptThing {
  kind: SetAsideCopy["kind"];
  /** The database name, the directory's full path, or the image tag. */
  location: string;
  rollbackId?: string;
  /** When its rollback ended; absent when no report dates it. */
  setAsideAt?: string;
  /**
   * `now`: the next successful rollback removes it. `from`: not before `prunableFrom`. `after-newer`:
   * kept while among the newest `retention.setAside` rollbacks, and not before `prunableFrom`.
   * `unfinished`: its rollback has no report yet (running, or killed before its end): kept, and
   * dated once it ends. `by-hand`: no rollback on this host dates it, so retention never removes it.
   */
  prunable: "now" | "from" | "after-newer" | "unfinished" | "by-hand";
  prunableFrom?: string;
}

export interface KeptForUndo {
  host: string;
  retention: { setAside: number; setAsideMinAgeDays: number };
  kept: KeptThing[];
  /** Sources that could not be read (`databases`, `directories`, `image holds`), with the error's code and why. */
  unreadable: { source: string; code: string; message: string }[];
}

const prunableOf = (verdict: SetAsideVerdict): KeptThing["prunable"] =>
  verdict.state === "undated" ? "by-hand" : verdict.state === "due" ? "now" : verdict.state === "young" ? "from" : "after-newer";

export async function keptForUndo(config: AgentConfig, docker: Docker): Promise<KeptForUndo> {
  const unreadable: KeptForUndo["unreadable"] = [];
  const read = async (source: string, list: () => Promise<SetAsideCopy[]>): Promise<SetAsideCopy[]> => {
    try {
      return await list();
    } catch (error) {
      // A server that did not answer (PostgreSQL, Docker) throws a plain error: UNAVAILABLE.
      unreadable.push({ source, code: isRewindError(error) ? error.code : "UNAVAILABLE", message: (error as Error).message });
      return [];
    }
  };
  const rollbacks = await datedRollbacks(config.stateDir);
  const rules = setAsideRules(config);
  const idOf = new Map(rollbacks.map((r) => [r.shortId, r.rollbackId]));
  // A rollback without a report yet has a directory (its journal) all the same.
  const unfinished = new Map<string, string>();
  for (const id of await namesIn(path.join(config.stateDir, "rollbacks"))) {
    if (!idOf.has(shortId(id))) unfinished.set(shortId(id), id);
  }
  // Data copies and image holds are released apart (prune-set-aside.ts, hold-images.ts): judged apart too.
  const data = [...(await read("databases", () => setAsideDatabases(config))), ...(await read("directories", () => setAsideDirs(config, docker)))];
  const images = await read("image holds", () => heldTags(docker, config.project.name));
  const kept = [data, images].flatMap((copies) =>
    judgeSetAside(copies, rollbacks, rules).map(({ copy, verdict }): KeptThing => {
      const rollbackId = idOf.get(copy.shortId) ?? unfinished.get(copy.shortId);
      const prunable = verdict.state === "undated" && unfinished.has(copy.shortId) ? "unfinished" : prunableOf(verdict);
      return {
        kind: copy.kind,
        location: copy.location,
        ...(rollbackId === undefined ? {} : { rollbackId }),
        ...("at" in verdict ? { setAsideAt: new Date(verdict.at).toISOString() } : {}),
        prunable,
        ...("at" in verdict && prunable !== "now" ? { prunableFrom: new Date(verdict.at + rules.minAgeMs).toISOString() } : {}),
      };
    }),
  );
  return { host: config.host, retention: { setAside: rules.keep, setAsideMinAgeDays: config.retention.setAsideMinAgeDays }, kept, unreadable };
}

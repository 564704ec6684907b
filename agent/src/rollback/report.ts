// The rollback's final report, built from the journal alone (so a resumed run reports the whole
// story): timeline, step durations, downtime (first container stopped → all healthy), log excerpts.
import type { ReportedStepId } from "../../../shared/schemas/rollback.ts";
import type { FinalState, Replay } from "./journal.ts";
import { rollbackTarget } from "./loaded-backup.ts";

export interface ReportStep {
  id: ReportedStepId;
  state: "running" | "succeeded" | "failed";
  startedAt: string;
  finishedAt?: string;
  durationMs?: number;
  error?: { code: string; message: string };
}

export interface RollbackReport {
  rollbackId: string;
  state: FinalState | "running";
  mode: "full" | "code-only";
  dryRun: boolean;
  reason: string;
  backup?: { backupId?: string; timestamp: string; commit: string; source: string };
  startedAt: string;
  finishedAt?: string;
  steps: ReportStep[];
  /** First container stopped → every service healthy again; absent when services never went down. */
  downtimeMs?: number;
  error?: { step: ReportedStepId; code: string; message: string };
  /** Where the swap set the pre-rollback data aside (absent once an undo brought it back). */
  setAside?: { database?: string; minio?: string };
  /** Where an undo set aside the restored data the application had served on (never dropped). */
  undoSetAside?: { database?: string; minio?: string };
  degraded?: string[];
  /** Staged MinIO copies interrupted rollbacks had left, removed by the stage step (never served on). */
  removedStaleStages?: string[];
  /** Tags holding the pre-rollback release's images until this rollback can no longer be undone (and its minimum age passed). */
  heldImages?: string[];
  /** Older rollbacks whose set-aside copies retention removed after this one succeeded. */
  prunedSetAside?: string[];
  /** Older rollbacks' image holds retention released after this one succeeded. */
  releasedImages?: string[];
  /** Holds retention would release but a container still uses their image: kept for now. */
  heldImagesInUse?: string[];
  retentionError?: string;
  /** Last lines of each service's log before the rollback, by container name. */
  logExcerpts: Record<string, string>;
}

const ms = (from: string, to: string): number => Math.max(0, Date.parse(to) - Date.parse(from));
const str = (value: unknown): string | undefined => (typeof value === "string" ? value : undefined);

export function buildReport(replay: Replay, logExcerpts: Record<string, string>, finishedAt?: string): RollbackReport {
  const { request, outputs } = replay;
  const steps = replay.steps.map((s) => ({
    id: s.step,
    state: s.state,
    startedAt: s.startedAt,
    ...(s.finishedAt ? { finishedAt: s.finishedAt, durationMs: ms(s.startedAt, s.finishedAt) } : {}),
    ...(s.error ? { error: s.error } : {}),
  }));
  const stopStarted = replay.steps.find((s) => s.step === "stop-services")?.startedAt;
  const healthyAt = str(outputs.verify?.allHealthyAt);
  const target = rollbackTarget.safeParse(outputs["load-backup"]?.target);
  const backup = target.success ? target.data.backup : undefined;
  const degraded = outputs.watch?.degraded;
  const removedStale = outputs.stage?.removedStaleStages;
  const held = outputs["document-state"]?.held;
  return {
    rollbackId: request.rollbackId,
    // An undo that failed leaves the journal open for --resume; its report still says how it ended.
    state: replay.end ?? (replay.steps.find((s) => s.step === "undo")?.state === "failed" ? "undo-failed" : "running"),
    mode: request.mode,
    dryRun: request.dryRun ?? false,
    reason: request.reason,
    ...(backup
      ? { backup: { ...(backup.backupId ? { backupId: backup.backupId } : {}), timestamp: backup.timestamp, commit: backup.commit, source: backup.source } }
      : {}),
    startedAt: replay.startedAt,
    ...(finishedAt ? { finishedAt } : {}),
    steps,
    ...(stopStarted && healthyAt ? { downtimeMs: ms(stopStarted, healthyAt) } : {}),
    ...(replay.failed ? { error: replay.failed } : {}),
    ...(outputs.swap && !outputs.undo ? { setAside: { database: str(outputs.swap.databaseAside), minio: str(outputs.swap.minioAside) } } : {}),
    ...(outputs.undo && (outputs.undo.databaseAside || outputs.undo.minioAside)
      ? { undoSetAside: { database: str(outputs.undo.databaseAside), minio: str(outputs.undo.minioAside) } }
      : {}),
    ...(Array.isArray(held) ? { heldImages: held.filter((t): t is string => typeof t === "string") } : {}),
    ...(Array.isArray(removedStale) ? { removedStaleStages: removedStale.filter((d): d is string => typeof d === "string") } : {}),
    ...(Array.isArray(degraded) ? { degraded: degraded.filter((d): d is string => typeof d === "string") } : {}),
    logExcerpts,
  };
}

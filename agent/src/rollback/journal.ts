// The journal's vocabulary and its replay: one JSON line before and after every step, so a killed
// agent knows which steps finished (with their outputs), which one was running, and how it ended.
import * as z from "zod";
import { RewindError } from "../../../shared/errors.ts";
import { reportedStepId } from "../../../shared/schemas/rollback.ts";
import type { ReportedStepId } from "../../../shared/schemas/rollback.ts";
import { rollbackRequest } from "./request.ts";
import type { RollbackRequest } from "./request.ts";

export const finalStates = ["succeeded", "failed", "undone", "undo-failed", "cancelled"] as const;
export type FinalState = (typeof finalStates)[number];

export const journalEntry = z.discriminatedUnion("kind", [
  z.strictObject({ kind: z.literal("begin"), at: z.iso.datetime(), pid: z.number().int(), request: rollbackRequest }),
  z.strictObject({ kind: z.literal("resume"), at: z.iso.datetime(), pid: z.number().int() }),
  z.strictObject({ kind: z.literal("start"), at: z.iso.datetime(), step: reportedStepId }),
  z.strictObject({
    kind: z.literal("done"),
    at: z.iso.datetime(),
    step: reportedStepId,
    output: z.record(z.string(), z.unknown()),
  }),
  z.strictObject({
    kind: z.literal("failed"),
    at: z.iso.datetime(),
    step: reportedStepId,
    code: z.string(),
    message: z.string(),
  }),
  z.strictObject({ kind: z.literal("end"), at: z.iso.datetime(), state: z.enum(finalStates) }),
]);
export type JournalEntry = z.output<typeof journalEntry>;

export interface StepRecord {
  step: ReportedStepId;
  startedAt: string;
  finishedAt?: string;
  state: "running" | "succeeded" | "failed";
  output?: Record<string, unknown>;
  error?: { code: string; message: string };
}

export interface Replay {
  request: RollbackRequest;
  startedAt: string;
  /** Latest record per step, in the order the steps first started. */
  steps: StepRecord[];
  /** Outputs of the steps that finished, by step id. */
  outputs: Partial<Record<ReportedStepId, Record<string, unknown>>>;
  /** The step that started and never finished: the process died inside it. */
  interrupted?: ReportedStepId;
  /** The first forward step that failed, if any. */
  failed?: { step: ReportedStepId; code: string; message: string };
  end?: FinalState;
}

export function replayJournal(entries: readonly JournalEntry[]): Replay {
  const [first, ...rest] = entries;
  if (first?.kind !== "begin") throw new RewindError("MALFORMED", "the rollback journal has no begin entry; it cannot be resumed");
  const replay: Replay = { request: first.request, startedAt: first.at, steps: [], outputs: {} };
  const records = new Map<ReportedStepId, StepRecord>();
  for (const entry of rest) {
    if (entry.kind === "start") {
      const record: StepRecord = { step: entry.step, startedAt: entry.at, state: "running" };
      if (!records.has(entry.step)) replay.steps.push(record);
      else replay.steps[replay.steps.findIndex((r) => r.step === entry.step)] = record;
      records.set(entry.step, record);
    } else if (entry.kind === "done" || entry.kind === "failed") {
      const record = records.get(entry.step);
      if (!record) continue;
      record.finishedAt = entry.at;
      if (entry.kind === "done") {
        record.state = "succeeded";
        record.output = entry.output;
        replay.outputs[entry.step] = entry.output;
      } else {
        record.state = "failed";
        record.error = { code: entry.code, message: entry.message };
        replay.failed ??= { step: entry.step, code: entry.code, message: entry.message };
      }
    } else if (entry.kind === "end") {
      replay.end = entry.state;
    }
  }
  const running = replay.steps.find((r) => r.state === "running");
  if (running) replay.interrupted = running.step;
  return replay;
}

function parseLine(line: string): JournalEntry | undefined {
  try {
    const parsed = journalEntry.safeParse(JSON.parse(line));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Bytes of `text` that are whole journal lines: a crash can only tear the last append, so an
 * unterminated tail goes, and so does a last line that does not parse (bytes lost before its newline).
 */
export function intactLength(text: string): number {
  const end = text.lastIndexOf("\n") + 1;
  const whole = text.slice(0, end);
  const lastStart = whole.lastIndexOf("\n", end - 2) + 1;
  const last = whole.slice(lastStart, end - 1);
  const kept = last.trim() === "" || parseLine(last) !== undefined ? whole : whole.slice(0, lastStart);
  return Buffer.byteLength(kept);
}

export function parseJournal(text: string): JournalEntry[] {
  // A line cut short by a crash mid-write is the only one that may not parse; it is the last.
  const lines = text.split("\n").filter((line) => line.trim() !== "");
  const entries: JournalEntry[] = [];
  for (const [index, line] of lines.entries()) {
    const parsed = parseLine(line);
    if (parsed !== undefined) entries.push(parsed);
    else if (index !== lines.length - 1) throw new RewindError("MALFORMED", `rollback journal line ${index + 1} is corrupt; inspect it before resuming`);
  }
  return entries;
}

import { describe, expect, it } from "vitest";
import type { JournalEntry } from "./journal.ts";
import { intactLength, parseJournal, replayJournal } from "./journal.ts";

const request = { rollbackId: "rb-test-0001", backup: { kind: "last" as const }, mode: "full" as const, reason: "test" };
const at = (s: number): string => new Date(Date.UTC(2026, 0, 1, 0, 0, s)).toISOString();
const begin: JournalEntry = { kind: "begin", at: at(0), pid: 1, request };

describe("replayJournal", () => {
  it("knows which steps finished, with their outputs, and which one was cut off", () => {
    const replay = replayJournal([
      begin,
      { kind: "start", at: at(1), step: "preflight" },
      { kind: "done", at: at(2), step: "preflight", output: { checks: ["docker"] } },
      { kind: "start", at: at(3), step: "load-backup" },
    ]);
    expect(replay.outputs).toEqual({ preflight: { checks: ["docker"] } });
    expect(replay.interrupted).toBe("load-backup");
    expect(replay.end).toBeUndefined();
  });

  it("replaces a re-run step's record instead of listing it twice", () => {
    const replay = replayJournal([
      begin,
      { kind: "start", at: at(1), step: "stage" },
      { kind: "resume", at: at(5), pid: 2 },
      { kind: "start", at: at(6), step: "stage" },
      { kind: "done", at: at(9), step: "stage", output: {} },
      { kind: "end", at: at(10), state: "succeeded" },
    ]);
    expect(replay.steps).toEqual([{ step: "stage", startedAt: at(6), finishedAt: at(9), state: "succeeded", output: {} }]);
    expect(replay.interrupted).toBeUndefined();
    expect(replay.end).toBe("succeeded");
  });

  it("records the first failure", () => {
    const replay = replayJournal([
      begin,
      { kind: "start", at: at(1), step: "verify" },
      { kind: "failed", at: at(2), step: "verify", code: "STEP_FAILED", message: "unhealthy" },
    ]);
    expect(replay.failed).toEqual({ step: "verify", code: "STEP_FAILED", message: "unhealthy" });
  });
});

describe("parseJournal", () => {
  it("ignores a last line cut short by a crash", () => {
    const text = `${JSON.stringify(begin)}\n${JSON.stringify({ kind: "start", at: at(1), step: "swap" })}\n{"kind":"do`;
    expect(parseJournal(text)).toHaveLength(2);
  });

  it("refuses a corrupt line in the middle", () => {
    const text = `${JSON.stringify(begin)}\nnot json\n${JSON.stringify({ kind: "start", at: at(1), step: "swap" })}\n`;
    expect(() => parseJournal(text)).toThrow(expect.objectContaining({ code: "MALFORMED" }));
  });
});

describe("intactLength", () => {
  const line = (entry: JournalEntry): string => `${JSON.stringify(entry)}\n`;
  const whole = line(begin) + line({ kind: "start", at: at(1), step: "swap" });

  it("keeps a journal of whole lines as it is", () => {
    expect(intactLength(whole)).toBe(Buffer.byteLength(whole));
    expect(intactLength("")).toBe(0);
  });

  it("cuts an unterminated last line, even one that parses", () => {
    expect(intactLength(`${whole}{"kind":"do`)).toBe(Buffer.byteLength(whole));
    expect(intactLength(`${whole}${JSON.stringify({ kind: "end", at: at(2), state: "succeeded" })}`)).toBe(Buffer.byteLength(whole));
  });

  it("cuts a terminated last line whose bytes were lost before its newline", () => {
    expect(intactLength(`${whole}\u0000\u0000\u0000\n`)).toBe(Buffer.byteLength(whole));
  });
});

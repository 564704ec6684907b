// The journal file after a crash tore its last line: the tear is cut before the next append, so a
// second interruption still leaves a readable journal (it used to leave two corrupt lines).
import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { appendJournal, journalPath, openRollbacks, readJournal, repairJournalTail } from "./journal-file.ts";
import type { JournalEntry } from "./journal.ts";

const roots: string[] = [];
afterEach(async () => {
  for (const root of roots.splice(0)) await rm(root, { recursive: true, force: true });
});

const request = { rollbackId: "rb-torn-0001", backup: { kind: "last" as const }, mode: "full" as const, reason: "test" };
const at = (s: number): string => new Date(Date.UTC(2026, 0, 1, 0, 0, s)).toISOString();

describe("the journal file", () => {
  it("cuts a torn last line before appending, so the journal stays readable after a second crash", async () => {
    const root = await mkdtemp(path.join(tmpdir(), "rewind-journal-"));
    roots.push(root);
    const file = path.join(root, "rollbacks", "rb-torn-0001", "journal.jsonl");
    await appendJournal(file, { kind: "begin", at: at(0), pid: 1, request });
    await appendJournal(file, { kind: "start", at: at(1), step: "swap" });
    // The first crash: half of the "done" line reached the disk.
    await writeFile(file, `${await readFile(file, "utf8")}{"kind":"done","at":"2026-01-`, { flag: "w" });

    await repairJournalTail(file);
    const resume: JournalEntry = { kind: "resume", at: at(5), pid: 2 };
    await appendJournal(file, resume);
    const entries = await readJournal(file);
    expect(entries?.map((e) => e.kind)).toEqual(["begin", "start", "resume"]);

    // The journal holds container environments: private from creation.
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect((await stat(path.dirname(file))).mode & 0o777).toBe(0o700);
  });

  it("lists the rollbacks whose journal is open, unreadable ones included, except the one asking", async () => {
    const root = await mkdtemp(path.join(tmpdir(), "rewind-journal-"));
    roots.push(root);
    const begin = (rollbackId: string): JournalEntry => ({ kind: "begin", at: at(0), pid: 1, request: { ...request, rollbackId } });
    await appendJournal(journalPath(root, "rb-ended-0001"), begin("rb-ended-0001"));
    await appendJournal(journalPath(root, "rb-ended-0001"), { kind: "end", at: at(9), state: "failed" });
    await appendJournal(journalPath(root, "rb-open-00001"), begin("rb-open-00001"));
    await appendJournal(journalPath(root, "rb-open-00001"), { kind: "start", at: at(1), step: "stage" });
    await appendJournal(journalPath(root, "rb-asking-001"), begin("rb-asking-001"));
    await appendJournal(journalPath(root, "rb-corrupt-01"), begin("rb-corrupt-01"));
    await writeFile(journalPath(root, "rb-corrupt-01"), "not json\n{}\n");

    expect((await openRollbacks(root, "rb-asking-001")).sort()).toEqual(["rb-corrupt-01", "rb-open-00001"]);
    expect(await openRollbacks(path.join(root, "nothing-here"), "rb-asking-001")).toEqual([]);
  });
});

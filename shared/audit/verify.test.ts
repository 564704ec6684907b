// Tampers with an export in every way an insider could and checks the verifier names the entry.
import { beforeAll, describe, expect, it } from "vitest";
import { canonicalJson } from "../canonical-json.ts";
import type { AuditEntry, NewAuditEntry } from "../schemas/audit.ts";
import { generateSigningKey, type KeyPairJwk, randomId, signReport } from "../signing.ts";
import { signCheckpoint } from "./checkpoint.ts";
import type { AgentKeys, CheckpointLine } from "./export.ts";
import { leafHash, TreeBuilder } from "./merkle.ts";
import { type VerifyInput, verifyAuditExport } from "./verify.ts";

const origin = "rewind.test/audit";
let logKey: KeyPairJwk;
let otherKey: KeyPairJwk;
let agentKey: KeyPairJwk;
let agentKeys: AgentKeys;

interface Log {
  lines: string[];
  series: CheckpointLine[];
}

/** Signs like the AuditLog Durable Object: one checkpoint per append. */
async function sign(lines: string[], key = logKey): Promise<Log> {
  const tree = new TreeBuilder();
  const series: CheckpointLine[] = [];
  for (const line of lines) {
    tree.push(leafHash(line));
    series.push({ size: tree.size, note: await signCheckpoint({ origin, size: tree.size, root: tree.root() }, key.privateJwk) });
  }
  return { lines, series };
}

function entryLines(entries: NewAuditEntry[]): string[] {
  return entries.map((entry, seq) => canonicalJson({ ...entry, seq, time: new Date(Date.UTC(2026, 10, 25, 9, 0, seq)).toISOString() }));
}

async function agentEntry(ok: boolean): Promise<NewAuditEntry> {
  const report = { kind: "result" as const, commandId: randomId(), ok };
  return {
    actor: { kind: "host", host: "web-1" },
    action: "agent.report",
    subject: `command:${report.commandId}`,
    details: { report },
    agentJws: await signReport(report, "web-1", agentKey.privateJwk),
  };
}

async function genuineEntries(): Promise<NewAuditEntry[]> {
  const entries: NewAuditEntry[] = [];
  for (let i = 0; i < 10; i += 1) {
    if (i === 4 || i === 7) entries.push(await agentEntry(i === 4));
    else {
      entries.push({
        actor: { kind: "token", tokenId: "admin", role: "admin" },
        action: "token.created",
        subject: `token:tok-${i}`,
        details: { role: "viewer", label: `token ${i}` },
      });
    }
  }
  return entries;
}

function input(log: Log, extra: Partial<VerifyInput> = {}): VerifyInput {
  return { entries: log.lines, checkpoints: log.series, logKeys: [logKey.publicJwk], agentKeys, ...extra };
}

const parse = (line: string | undefined): AuditEntry => JSON.parse(line ?? "null") as AuditEntry;
const replaceAt = (lines: string[], seq: number, change: (entry: AuditEntry) => AuditEntry): string[] =>
  lines.map((line, i) => (i === seq ? canonicalJson(change(parse(line))) : line));

let genuine: Log;

beforeAll(async () => {
  logKey = await generateSigningKey("log-1");
  otherKey = await generateSigningKey("insider");
  agentKey = await generateSigningKey("web-1");
  agentKeys = { hosts: { "web-1": [agentKey.publicJwk] } };
  genuine = await sign(entryLines(await genuineEntries()));
});

describe("verifyAuditExport", () => {
  it("accepts an untouched export and checks every checkpoint and agent report", async () => {
    const result = await verifyAuditExport(input(genuine));
    expect(result).toMatchObject({ ok: true, entries: 10, checkpointSize: 10, agentReports: 2, checkpointsChecked: 11 });
    const alone = await verifyAuditExport(input(genuine, { checkpoints: [], checkpoint: genuine.series[9]?.note }));
    expect(alone).toMatchObject({ ok: true, entries: 10, checkpointsChecked: 1 });
  });

  it("names the entry whose field was changed", async () => {
    const lines = replaceAt(genuine.lines, 3, (e) => ({ ...e, details: { ...e.details, role: "admin" } }));
    const result = await verifyAuditExport(input({ ...genuine, lines }));
    expect(result).toMatchObject({ ok: false, problem: "ROOT_MISMATCH", firstBadSeq: 3, entries: 3 });
  });

  it("with only the newest checkpoint, still refuses a changed field", async () => {
    const lines = replaceAt(genuine.lines, 3, (e) => ({ ...e, subject: "token:someone-else" }));
    const result = await verifyAuditExport(input({ ...genuine, lines }, { checkpoints: [], checkpoint: genuine.series[9]?.note }));
    expect(result).toMatchObject({ ok: false, problem: "ROOT_MISMATCH", firstBadSeq: 0 });
    expect(result.reason).toContain("entries 0..9");
  });

  it("names a deleted entry, renumbered or not", async () => {
    const deleted = genuine.lines.filter((_, i) => i !== 5);
    expect(await verifyAuditExport(input({ ...genuine, lines: deleted }))).toMatchObject({
      ok: false,
      problem: "SEQUENCE_BROKEN",
      firstBadSeq: 5,
    });
    const renumbered = deleted.map((line, seq) => canonicalJson({ ...parse(line), seq }));
    expect(await verifyAuditExport(input({ ...genuine, lines: renumbered }))).toMatchObject({
      ok: false,
      problem: "ROOT_MISMATCH",
      firstBadSeq: 5,
    });
  });

  it("names the first of two reordered entries, renumbered or not", async () => {
    const swapped = [...genuine.lines];
    [swapped[5], swapped[6]] = [genuine.lines[6] ?? "", genuine.lines[5] ?? ""];
    expect(await verifyAuditExport(input({ ...genuine, lines: swapped }))).toMatchObject({
      ok: false,
      problem: "SEQUENCE_BROKEN",
      firstBadSeq: 5,
    });
    const renumbered = swapped.map((line, seq) => canonicalJson({ ...parse(line), seq }));
    expect(await verifyAuditExport(input({ ...genuine, lines: renumbered }))).toMatchObject({
      ok: false,
      problem: "ROOT_MISMATCH",
      firstBadSeq: 5,
    });
  });

  it("names the first missing entry when the tail is cut", async () => {
    const cut = { lines: genuine.lines.slice(0, 8), series: genuine.series.slice(0, 8) };
    const result = await verifyAuditExport(input(cut, { checkpoint: genuine.series[9]?.note }));
    expect(result).toMatchObject({ ok: false, problem: "TRUNCATED", firstBadSeq: 8, entries: 8 });
  });

  it("names an appended forged entry", async () => {
    const forged = canonicalJson({ ...parse(genuine.lines[0]), seq: 10, subject: "token:forged" });
    const result = await verifyAuditExport(input({ ...genuine, lines: [...genuine.lines, forged] }));
    expect(result).toMatchObject({ ok: false, problem: "UNCOVERED_ENTRIES", firstBadSeq: 10 });
  });

  it("refuses checkpoints re-signed with another key, naming the first entry they vouch for", async () => {
    const lines = replaceAt(genuine.lines, 6, (e) => ({ ...e, subject: "token:hidden" }));
    const resigned = await sign(lines, otherKey);
    const mixed = { lines, series: [...genuine.series.slice(0, 6), ...resigned.series.slice(6)] };
    const result = await verifyAuditExport(input(mixed));
    expect(result).toMatchObject({ ok: false, problem: "CHECKPOINT_INVALID", firstBadSeq: 6 });
    expect(result.reason).toContain("not signed by any of the given keys");
  });

  it("refuses a listed checkpoint that does not parse, naming the first entry it should vouch for", async () => {
    const series = genuine.series.map((line) => (line.size === 6 ? { ...line, note: line.note.replace("\n\n", "\n") } : line));
    expect(await verifyAuditExport(input({ ...genuine, series }))).toMatchObject({
      ok: false,
      problem: "CHECKPOINT_INVALID",
      firstBadSeq: 5,
      checkpointsChecked: 5,
      reason: expect.stringMatching(/checkpoint at size 6 is not genuine: checkpoint is malformed/),
    });
  });

  it("names an entry whose agent report was replaced", async () => {
    const impostor = await generateSigningKey("impostor");
    const forgedReport = { kind: "result" as const, commandId: randomId(), ok: true };
    const forgedJws = await signReport(forgedReport, "web-1", impostor.privateJwk);
    const lines = replaceAt(genuine.lines, 7, (e) => ({ ...e, details: { report: forgedReport }, agentJws: forgedJws }));
    const result = await verifyAuditExport(input(await sign(lines)));
    expect(result).toMatchObject({ ok: false, problem: "AGENT_REPORT_INVALID", firstBadSeq: 7 });
    expect(result.reason).toContain("SIGNATURE_INVALID");

    const otherGenuine = parse(genuine.lines[4]).agentJws;
    const swapped = replaceAt(genuine.lines, 7, (e) => ({ ...e, ...(otherGenuine ? { agentJws: otherGenuine } : {}) }));
    expect(await verifyAuditExport(input(await sign(swapped)))).toMatchObject({
      ok: false,
      problem: "AGENT_REPORT_INVALID",
      firstBadSeq: 7,
    });

    const retargeted = replaceAt(genuine.lines, 4, (e) => ({ ...e, details: {}, subject: "command:someOtherCommand" }));
    const result2 = await verifyAuditExport(input(await sign(retargeted)));
    expect(result2).toMatchObject({ ok: false, problem: "AGENT_REPORT_INVALID", firstBadSeq: 4 });
    expect(result2.reason).toContain("subject");
  });

  it("catches history rewritten or cut off behind an older checkpoint the auditor kept", async () => {
    const kept = genuine.series[5]?.note;
    const lines = replaceAt(genuine.lines, 2, (e) => ({ ...e, subject: "token:rewritten" }));
    // The insider holds the signing key: every checkpoint of the rewritten log is genuine.
    const rewritten = await sign(lines);
    expect(await verifyAuditExport(input(rewritten))).toMatchObject({ ok: true });
    const result = await verifyAuditExport(input(rewritten, { previousCheckpoint: kept }));
    expect(result).toMatchObject({ ok: false, problem: "INCONSISTENT_HISTORY", firstBadSeq: 0 });
    expect(result.reason).toContain("entries 0..5");

    const shortened = await sign(genuine.lines.slice(0, 4));
    expect(await verifyAuditExport(input(shortened, { previousCheckpoint: kept }))).toMatchObject({
      ok: false,
      problem: "TRUNCATED",
      firstBadSeq: 4,
    });
  });

  it("names malformed, re-encoded and unknown-host lines", async () => {
    const broken = genuine.lines.map((line, i) => (i === 2 ? "{not json" : line));
    expect(await verifyAuditExport(input({ ...genuine, lines: broken }))).toMatchObject({
      problem: "MALFORMED_ENTRY",
      firstBadSeq: 2,
    });
    const pretty = genuine.lines.map((line, i) => (i === 1 ? JSON.stringify(parse(line), null, 1).replace(/\n/g, "") : line));
    expect(await verifyAuditExport(input({ ...genuine, lines: pretty }))).toMatchObject({
      problem: "NOT_CANONICAL",
      firstBadSeq: 1,
    });
    expect(await verifyAuditExport(input(genuine, { agentKeys: { hosts: {} } }))).toMatchObject({
      problem: "AGENT_REPORT_INVALID",
      firstBadSeq: 4,
    });
  });

  it("names the first of several faults even while later signature checks are still running", async () => {
    const impostor = await generateSigningKey("impostor");
    const forgedReport = { kind: "result" as const, commandId: randomId(), ok: true };
    const forgedJws = await signReport(forgedReport, "web-1", impostor.privateJwk);
    const forged = replaceAt(genuine.lines, 4, (e) => ({ ...e, details: { report: forgedReport }, agentJws: forgedJws }));
    const changed = replaceAt(forged, 6, (e) => ({ ...e, subject: "token:changed" }));
    const broken = changed.map((line, i) => (i === 8 ? "{not json" : line));
    const result = await verifyAuditExport(input({ lines: broken, series: (await sign(forged)).series }));
    expect(result).toMatchObject({ ok: false, problem: "AGENT_REPORT_INVALID", firstBadSeq: 4, entries: 4, agentReports: 0, checkpointsChecked: 4 });

    const resigned = await sign(genuine.lines, otherKey);
    const badSignatureFirst = { lines: changed, series: [...genuine.series.slice(0, 2), ...resigned.series.slice(2)] };
    expect(await verifyAuditExport(input(badSignatureFirst, { agentKeys: { hosts: {} } }))).toMatchObject({
      ok: false,
      problem: "CHECKPOINT_INVALID",
      firstBadSeq: 2,
      entries: 2,
      checkpointsChecked: 2,
    });
  });

  it("accepts canonical lines whose keys JavaScript would reorder, and refuses keys out of order", async () => {
    const numericKeys = entryLines([
      { actor: { kind: "system" }, action: "policy.decision", subject: "host:web-1", details: { "10": "a", "9": "b", list: [{ b: 1, a: 2 }] } },
    ]);
    expect(numericKeys[0]).toContain('{"10":"a","9":"b","list":[{"a":2,"b":1}]}');
    const log = await sign(numericKeys);
    expect(await verifyAuditExport(input(log))).toMatchObject({ ok: true, entries: 1 });

    const swapped = numericKeys.map((line) => line.replace('{"a":2,"b":1}', '{"b":1,"a":2}'));
    expect(await verifyAuditExport(input({ ...log, lines: swapped }))).toMatchObject({ ok: false, problem: "NOT_CANONICAL", firstBadSeq: 0 });
  });
});

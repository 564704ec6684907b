// Offline verification throughput of `rewind audit verify` (entries per second): a log of 1,000,000
// entries (1 % of them carrying a signed agent report) written as an export directory and verified
// from disk the way the CLI does (its loader, then the verifier) against its newest checkpoint; and a
// smaller log verified against the full per-append checkpoint series, as the control plane exports it
// (one Ed25519 check per entry).
import { createWriteStream } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { once } from "node:events";
import { pathToFileURL } from "node:url";
import { nativeEd25519 } from "../agent/src/audit/native-ed25519.ts";
import { loadVerifyInput } from "../agent/src/audit/read-export.ts";
import { signCheckpoint, verifyCheckpoint } from "../shared/audit/checkpoint.ts";
import { type CheckpointLine, exportFiles, toNdjson } from "../shared/audit/export.ts";
import { leafHash, TreeBuilder } from "../shared/audit/merkle.ts";
import { verifyAuditExport } from "../shared/audit/verify.ts";
import { canonicalJson } from "../shared/canonical-json.ts";
import { generateSigningKey, type PublicJwk, randomId, signReport } from "../shared/signing.ts";

export interface AuditVerifyRow {
  entries: number;
  checkpoints: number;
  agentReports: number;
  fileMB: number;
  seconds: number;
  entriesPerSecond: number;
  /** CPU time (all of the process's threads) per entry: what the load of a shared machine does not inflate. */
  cpuMicrosPerEntry: number;
  /** Every-append series only: the series' checkpoint signatures alone, verified 256 at a time (the verifier's depth). */
  signaturesPerSecond?: number;
}

/** The floor under a per-append series: Ed25519 checks of its checkpoints alone (the CLI's own), nothing else. */
async function signaturesPerSecond(notes: readonly string[], keys: readonly PublicJwk[]): Promise<number> {
  const started = process.hrtime.bigint();
  for (let i = 0; i < notes.length; i += 256) await Promise.all(notes.slice(i, i + 256).map((note) => verifyCheckpoint(note, keys, nativeEd25519)));
  return Math.round(notes.length / (Number(process.hrtime.bigint() - started) / 1e9));
}

const origin = "bench.rewind/audit";
const reportEvery = 100;

async function writeLog(dir: string, entries: number, series: "newest" | "every-append") {
  const logKey = await generateSigningKey("bench-log");
  const agentKey = await generateSigningKey("bench-agent");
  const out = createWriteStream(path.join(dir, exportFiles.entries));
  const tree = new TreeBuilder();
  const checkpoints: CheckpointLine[] = [];
  let bytes = 0;
  const start = Date.UTC(2026, 0, 1);
  for (let seq = 0; seq < entries; seq += 1) {
    const time = new Date(start + seq * 1000).toISOString();
    let entry: Record<string, unknown>;
    if (seq % reportEvery === reportEvery - 1) {
      const report = { kind: "result" as const, commandId: randomId(), ok: true };
      entry = {
        seq,
        time,
        actor: { kind: "host", host: "web-1" },
        action: "agent.report",
        subject: `command:${report.commandId}`,
        details: { kind: "result" },
        agentJws: await signReport(report, "web-1", agentKey.privateJwk),
      };
    } else {
      entry = {
        seq,
        time,
        actor: { kind: "token", tokenId: "op-token-1", role: "operator" },
        action: "command.queued",
        subject: `command:cmd${seq.toString(36).padStart(8, "0")}`,
        details: { host: "web-1", action: { type: "ping" } },
      };
    }
    const line = canonicalJson(entry);
    tree.push(leafHash(line));
    if (series === "every-append") {
      checkpoints.push({ size: tree.size, note: await signCheckpoint({ origin, size: tree.size, root: tree.root() }, logKey.privateJwk) });
    }
    bytes += line.length + 1;
    if (!out.write(`${line}\n`)) await once(out, "drain");
  }
  out.end();
  await once(out, "finish");
  const newest = await signCheckpoint({ origin, size: tree.size, root: tree.root() }, logKey.privateJwk);
  await writeFile(path.join(dir, exportFiles.checkpoint), newest);
  await writeFile(path.join(dir, exportFiles.checkpoints), toNdjson(checkpoints.map((line) => JSON.stringify(line))));
  await writeFile(path.join(dir, exportFiles.jwks), JSON.stringify({ keys: [logKey.publicJwk] }));
  await writeFile(path.join(dir, exportFiles.agentKeys), JSON.stringify({ hosts: { "web-1": [agentKey.publicJwk] } }));
  return { checkpoints, logKeys: [logKey.publicJwk], bytes };
}

async function measure(entries: number, series: "newest" | "every-append"): Promise<AuditVerifyRow> {
  const dir = await mkdtemp(path.join(tmpdir(), "rewind-bench-audit-"));
  try {
    const log = await writeLog(dir, entries, series);
    const started = process.hrtime.bigint();
    const cpuBefore = process.cpuUsage();
    const result = await verifyAuditExport(await loadVerifyInput({ export: dir, key: path.join(dir, exportFiles.jwks) }));
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const cpu = process.cpuUsage(cpuBefore);
    if (!result.ok) throw new Error(`benchmark log did not verify: ${result.reason}`);
    return {
      entries: result.entries,
      checkpoints: result.checkpointsChecked,
      agentReports: result.agentReports,
      fileMB: Math.round((log.bytes / 1024 / 1024) * 10) / 10,
      seconds: Math.round(seconds * 100) / 100,
      entriesPerSecond: Math.round(result.entries / seconds),
      cpuMicrosPerEntry: Math.round(((cpu.user + cpu.system) / result.entries) * 10) / 10,
      ...(series === "every-append"
        ? {
            signaturesPerSecond: await signaturesPerSecond(
              log.checkpoints.map((c) => c.note),
              log.logKeys,
            ),
          }
        : {}),
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export async function auditVerifyThroughput(entries = 1_000_000, seriesEntries = 50_000): Promise<AuditVerifyRow[]> {
  return [await measure(entries, "newest"), await measure(seriesEntries, "every-append")];
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const rows = await auditVerifyThroughput();
  console.log("audit verify throughput (offline, from disk)");
  console.table(rows);
}

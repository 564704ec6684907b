// The engine's entry points: run a new rollback (lock, journal, execute, report) or resume the one
// a killed agent left behind. The CLI's --local mode and the channel's `rollback` command both call these.
import { readFile } from "node:fs/promises";
import path from "node:path";
import type Docker from "dockerode";
import { RewindError } from "../../../shared/errors.ts";
import type { AgentConfig } from "../config.ts";
import { writeFileDurably } from "../host/durable-file.ts";
import { type HostLock, withHostLock } from "../host/host-lock.ts";
import type { RollbackProgress } from "./executor.ts";
import { execute } from "./executor.ts";
import { appendJournal, journalPath, readJournal, repairJournalTail, rollbackDir } from "./journal-file.ts";
import { type LogSharing, logSharingOf, shareLog } from "./log-share.ts";
import { acquireLock, releaseLock, takeOverForResume } from "./lock-file.ts";
import type { RollbackReport } from "./report.ts";
import { buildReport } from "./report.ts";
import type { RollbackRequest } from "./request.ts";
import { rollbackRequest } from "./request.ts";
import { releaseOlderSetAside } from "./release-set-aside.ts";
import { removeRetired } from "./restore-containers.ts";
import { retiredOf } from "./step-context.ts";
import { namesIn } from "../host/dir-entries.ts";

export type { RollbackProgress, RollbackReport, RollbackRequest };

export interface RollbackRunContext {
  docker: Docker;
  onProgress(event: RollbackProgress): void;
  signal: AbortSignal;
  /** The host lock, when the caller (a deploy) already holds it; otherwise the run takes it. */
  hostLock?: HostLock;
}

/** Per service, what of its log the report (sent signed to the control plane) may carry: log-share.ts. */
async function logExcerpts(dir: string, sharing: LogSharing): Promise<Record<string, string>> {
  const logsDir = path.join(dir, "logs-before");
  const files = await namesIn(logsDir);
  const excerpts: Record<string, string> = {};
  for (const file of files.filter((f) => f.endsWith(".log"))) {
    const logFile = path.join(logsDir, file);
    excerpts[file.replace(/\.log$/, "")] = shareLog(await readFile(logFile, "utf8"), sharing, logFile);
  }
  return excerpts;
}

async function writeReport(dir: string, report: RollbackReport): Promise<void> {
  await writeFileDurably(path.join(dir, "report.json"), `${JSON.stringify(report, null, 2)}\n`);
}

async function finish(config: AgentConfig, rollbackId: string, ctx: RollbackRunContext, resumed: boolean): Promise<RollbackReport> {
  const dir = rollbackDir(config.stateDir, rollbackId);
  const file = journalPath(config.stateDir, rollbackId);
  const entries = await readJournal(file);
  if (!entries) throw new RewindError("NOT_FOUND", `no journal for rollback ${rollbackId} at ${file}`);
  const replay = await execute({ config, docker: ctx.docker, signal: ctx.signal, journalFile: file, dir, onProgress: ctx.onProgress, resumed }, entries);
  const report = buildReport(replay, await logExcerpts(dir, logSharingOf(config)), new Date().toISOString());
  if (report.state === "succeeded") {
    // Kept only so an undo could bring them back; the rollback succeeded, so they go.
    await removeRetired(ctx.docker, retiredOf(replay), config.thresholds.stopTimeoutSeconds).catch((error: Error) => {
      report.retentionError = `removing the bad release's retired containers failed: ${error.message}`;
    });
  }
  await writeReport(dir, report);
  if (report.state === "succeeded" && !report.dryRun) {
    await releaseOlderSetAside(config, ctx.docker, report);
    await writeReport(dir, report);
  }
  // A journal without its end (an undo that failed) keeps the rollback owning the host: --resume retries it.
  if (replay.end !== undefined) await releaseLock(config.stateDir, rollbackId);
  return report;
}

export async function runRollback(config: AgentConfig, request: RollbackRequest, ctx: RollbackRunContext): Promise<RollbackReport> {
  const parsed = rollbackRequest.parse(request);
  return withHostLock(config.stateDir, `rollback ${parsed.rollbackId}`, ctx.hostLock, async () => {
    const file = journalPath(config.stateDir, parsed.rollbackId);
    if (await readJournal(file)) {
      throw new RewindError("CONFLICT", `rollback ${parsed.rollbackId} already has a journal; resume it instead of starting it again`);
    }
    await acquireLock(config.stateDir, parsed.rollbackId);
    await appendJournal(file, { kind: "begin", at: new Date().toISOString(), pid: process.pid, request: parsed });
    return finish(config, parsed.rollbackId, ctx, false);
  });
}

/** Continue the rollback a killed agent left behind (`rewind rollback --resume`). */
export async function resumeRollback(config: AgentConfig, ctx: RollbackRunContext): Promise<RollbackReport> {
  return withHostLock(config.stateDir, "rollback --resume", ctx.hostLock, async () => {
    const rollbackId = await takeOverForResume(config.stateDir);
    const file = journalPath(config.stateDir, rollbackId);
    // A line torn by the kill must go before anything is appended after it.
    await repairJournalTail(file);
    await appendJournal(file, { kind: "resume", at: new Date().toISOString(), pid: process.pid });
    return finish(config, rollbackId, ctx, true);
  });
}

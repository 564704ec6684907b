// Runs a plan against the journal: a step with a journaled output is done and skipped, anything else
// runs with a "start" entry before and a "done"/"failed" entry after. A failure once services went
// down runs the undo; earlier failures (and cancellations) only discard what was staged.
import type Docker from "dockerode";
import { RewindError, isRewindError } from "../../../shared/errors.ts";
import type { ReportedStepId, StepState } from "../../../shared/schemas/rollback.ts";
import { lastCancellableBefore } from "../../../shared/schemas/rollback-states.ts";
import type { AgentConfig } from "../config.ts";
import { appendJournal } from "./journal-file.ts";
import type { FinalState, JournalEntry, Replay } from "./journal.ts";
import { replayJournal } from "./journal.ts";
import type { Step } from "./plan.ts";
import { planRollback } from "./plan.ts";
import { type StepBound, stepBound } from "./step-bounds.ts";
import type { StepContext, StepHandler, StepOutput } from "./step-context.ts";
import { discardStaged } from "./steps/discard-staged.ts";
import { documentState } from "./steps/document-state.ts";
import { loadBackup } from "./steps/load-backup.ts";
import { preflight } from "./steps/preflight.ts";
import { revertCode } from "./steps/revert-code.ts";
import { stage } from "./steps/stage.ts";
import { start } from "./steps/start.ts";
import { stopServices } from "./steps/stop-services.ts";
import { swap } from "./steps/swap.ts";
import { undo } from "./steps/undo.ts";
import { verify } from "./steps/verify.ts";
import { watch } from "./steps/watch.ts";

export interface RollbackProgress {
  rollbackId: string;
  step: ReportedStepId;
  state: StepState;
  startedAt?: string;
  durationMs?: number;
  message?: string;
  excerpt?: string;
  /** How long the agent may stay silent after this event (step-bounds.ts). */
  bound: StepBound;
}

const handlers: Record<Step["id"], StepHandler> = {
  preflight,
  "load-backup": loadBackup,
  "document-state": documentState,
  stage,
  "stop-services": stopServices,
  swap,
  "revert-code": revertCode,
  start,
  verify,
};

export interface ExecutorEnv {
  config: AgentConfig;
  docker: Docker;
  signal: AbortSignal;
  journalFile: string;
  dir: string;
  /** A resumed run: whatever the dead process left running may have been restarted since. */
  resumed: boolean;
  onProgress(event: RollbackProgress): void;
}

const never = new AbortController().signal;

class Run {
  private entries: JournalEntry[];
  private replay: Replay;

  constructor(
    private readonly env: ExecutorEnv,
    entries: JournalEntry[],
  ) {
    this.entries = [...entries];
    this.replay = replayJournal(this.entries);
  }

  get state(): Replay {
    return this.replay;
  }

  private async append(entry: JournalEntry): Promise<void> {
    await appendJournal(this.env.journalFile, entry);
    this.entries.push(entry);
    this.replay = replayJournal(this.entries);
  }

  private emit(step: ReportedStepId, state: StepState, extra: Partial<RollbackProgress> = {}): void {
    const documented = this.replay.outputs["document-state"]?.containers;
    const bound = stepBound(step, state, { config: this.env.config, containers: Array.isArray(documented) ? documented.length : 0 });
    this.env.onProgress({ rollbackId: this.replay.request.rollbackId, step, state, bound, ...extra });
  }

  private context(step: ReportedStepId, cancellable: boolean): StepContext {
    return {
      config: this.env.config,
      request: this.replay.request,
      docker: this.env.docker,
      // Once services are down, finishing (or undoing) is safer than stopping half-way.
      signal: cancellable ? this.env.signal : never,
      dir: this.env.dir,
      progress: (message, excerpt) => this.emit(step, "running", { message, ...(excerpt ? { excerpt } : {}) }),
      outputs: this.replay.outputs,
    };
  }

  /** Run one step under the journal; returns the error when it failed. */
  async runStep(id: ReportedStepId, cancellable: boolean, work: (ctx: StepContext) => Promise<StepOutput>): Promise<RewindError | undefined> {
    const startedAt = new Date().toISOString();
    await this.append({ kind: "start", at: startedAt, step: id });
    this.emit(id, "running", { startedAt });
    try {
      const output = await work(this.context(id, cancellable));
      await this.append({ kind: "done", at: new Date().toISOString(), step: id, output });
      this.emit(id, "succeeded", { startedAt, durationMs: Date.now() - Date.parse(startedAt) });
      return undefined;
    } catch (error) {
      // An aborted child process surfaces as whatever its wrapper makes of the kill (often a
      // STEP_FAILED RewindError): the abort, not that symptom, is why the step ended.
      const rewindError =
        cancellable && this.env.signal.aborted
          ? new RewindError("CANCELLED", `the rollback was cancelled during ${id}, before services were stopped`, { cause: error })
          : isRewindError(error)
            ? error
            : new RewindError("STEP_FAILED", `${id}: ${(error as Error).message}`, { cause: error });
      await this.append({ kind: "failed", at: new Date().toISOString(), step: id, code: rewindError.code, message: rewindError.message });
      this.emit(id, "failed", { startedAt, durationMs: Date.now() - Date.parse(startedAt), message: rewindError.message });
      return rewindError;
    }
  }

  /** Re-emits a journaled step's success with its original times. */
  reportDone(id: ReportedStepId): void {
    const record = this.replay.steps.find((r) => r.step === id);
    if (record?.state !== "succeeded") return;
    const durationMs = record.finishedAt ? Date.parse(record.finishedAt) - Date.parse(record.startedAt) : undefined;
    this.emit(id, "succeeded", { startedAt: record.startedAt, ...(durationMs === undefined ? {} : { durationMs }) });
  }

  async end(state: FinalState): Promise<void> {
    await this.append({ kind: "end", at: new Date().toISOString(), state });
  }
}

function reachedSteps(replay: Replay): Set<ReportedStepId> {
  return new Set(replay.steps.map((s) => s.step));
}

async function recover(run: Run, downtimeStarted: boolean): Promise<void> {
  if (!downtimeStarted) {
    const cancelled = run.state.failed?.code === "CANCELLED";
    if (!reachedSteps(run.state).has("stage")) {
      await run.end(cancelled ? "cancelled" : "failed");
      return;
    }
    const stageFailed = run.state.failed?.step === "stage";
    const error = await run.runStep("undo", false, async (ctx) => {
      await discardStaged(ctx, stageFailed);
      return { actions: ["staged copies discarded; services and live data untouched"] };
    });
    // A failed undo leaves the journal open: the rollback still owns the host and --resume retries it.
    if (!error) await run.end(cancelled ? "cancelled" : "failed");
    return;
  }
  const error = await run.runStep("undo", false, (ctx) => undo(ctx, reachedSteps(run.state)));
  if (!error) await run.end("undone");
}

/** Steps that must run with the project's services down. */
const needsServicesDown: ReadonlySet<ReportedStepId> = new Set(["swap", "revert-code"]);

/**
 * On a resumed run, stop the services again before a step that needs them down: after a power cut
 * Docker's restart policies bring the stopped containers back up while nobody watches. Stopping a
 * stopped container changes nothing, so this is safe to repeat.
 */
function withServicesDown(handler: StepHandler): StepHandler {
  return async (ctx) => {
    ctx.progress("resumed: making sure the project's services are still stopped");
    await stopServices(ctx);
    return handler(ctx);
  };
}

/** Drive the rollback described by `entries` (at least its begin entry) to an end state. */
export async function execute(env: ExecutorEnv, entries: JournalEntry[]): Promise<Replay> {
  const run = new Run(env, entries);
  if (run.state.end) return run.state;
  const { request } = run.state;
  const plan = planRollback({ mode: request.mode, dryRun: request.dryRun ?? false });
  const downtimeStarted = (): boolean => reachedSteps(run.state).has("stop-services");
  if (run.state.failed) {
    await recover(run, downtimeStarted());
    return run.state;
  }
  for (const step of plan) {
    if (run.state.outputs[step.id]) {
      // Done before a restart: say so again, since the kill may have cut off the original report.
      run.reportDone(step.id);
      continue;
    }
    const cancellable = !step.needsUndoOnFailure;
    if (step.id === lastCancellableBefore && env.signal.aborted) {
      await run.runStep(step.id, true, async () => {
        throw new RewindError("CANCELLED", "the rollback was cancelled before services were stopped; nothing changed");
      });
      await recover(run, false);
      return run.state;
    }
    const handler = env.resumed && needsServicesDown.has(step.id) ? withServicesDown(handlers[step.id]) : handlers[step.id];
    const error = await run.runStep(step.id, cancellable, handler);
    if (error) {
      await recover(run, downtimeStarted());
      return run.state;
    }
  }
  if (!request.dryRun && env.config.thresholds.watchSeconds > 0 && !run.state.outputs.watch) {
    await run.runStep("watch", true, watch);
  }
  await run.end("succeeded");
  return run.state;
}

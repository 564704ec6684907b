// Runs one PostgreSQL client tool (pg_dump, psql, pg_restore) to its end under a deadline: the
// caller's abort (CANCELLED) or the tool timeout (STEP_FAILED) stops it with SIGTERM, then
// SIGKILL, sent to its whole process group (pg_restore -j forks workers that hold the pipes). Success
// means exit 0 AND the caller's stream work (feeding stdin, draining stdout) finished cleanly:
// every stage of the pipe is checked, never only the last one.
import { spawn } from "node:child_process";
import type { FileHandle } from "node:fs/promises";
import path from "node:path";
import type { Readable, Writable } from "node:stream";
import { isRewindError, RewindError } from "../../../shared/errors.ts";
import { stopGroup } from "./process-group.ts";

export interface ToolRun {
  bin: string;
  args: string[];
  /** What the run does, for messages: "restoring db.sql.gz into app__rewind_stage". */
  what: string;
  timeoutSeconds: number;
  env?: Record<string, string>;
  signal?: AbortSignal;
  /** Feeds the tool's stdin; when the tool exits early (psql's ON_ERROR_STOP), its exit code says why, not our EPIPE. */
  stdin?: (stdin: Writable) => Promise<unknown>;
  /** Drains the tool's stdout; a failure here (disk full) is the cause of the tool's own broken pipe. */
  stdout?: (stdout: Readable) => Promise<unknown>;
  /**
   * A file opened (and checked) by the caller, which the tool reads as `inheritedInputPath`: its own
   * descriptor, so the tool reads that file whatever its path leads to meanwhile.
   */
  input?: FileHandle;
  /** Whether a non-zero exit may pass on a retry (a dump of a live database), reported on the error. */
  retryable?: boolean;
}

/** Keep only the tail of stderr: enough for the error message, bounded whatever the tool prints. */
const stderrLimit = 8 * 1024;

/** How long a stopped tool gets to exit on SIGTERM (pg_restore cancels its workers' queries) before SIGKILL. */
const killGraceSeconds = 10;

/** Where a tool finds `ToolRun.input`: descriptor 3, inherited (pg_restore -j's forked workers reopen it there too). */
export const inheritedInputPath = "/dev/fd/3";

type Exit = { code: number | null; signal: NodeJS.Signals | null; error?: NodeJS.ErrnoException };

const settle = (work: Promise<unknown>): Promise<unknown> =>
  work.then(
    () => undefined,
    (error: unknown) => error ?? new Error("stream failed"),
  );

export async function runPgTool(run: ToolRun): Promise<void> {
  const deadline = AbortSignal.timeout(run.timeoutSeconds * 1000);
  const stop = run.signal ? AbortSignal.any([run.signal, deadline]) : deadline;
  const child = spawn(run.bin, run.args, {
    stdio: [run.stdin ? "pipe" : "ignore", run.stdout ? "pipe" : "ignore", "pipe", ...(run.input ? [run.input.fd] : [])],
    env: { ...process.env, ...run.env },
    // Its own process group, so stopping it reaches every process it forked.
    detached: true,
  });
  let stderr = "";
  child.stderr?.setEncoding("utf8");
  child.stderr?.on("data", (text: string) => {
    stderr = (stderr + text).slice(-stderrLimit);
  });
  const exited = new Promise<Exit>((resolve) => {
    child.once("error", (error) => resolve({ code: null, signal: null, error }));
    child.once("close", (code, signal) => resolve({ code, signal }));
  });
  let stopping: Promise<void> = Promise.resolve();
  const onStop = (): void => {
    if (child.pid !== undefined) stopping = stopGroup(child.pid, killGraceSeconds);
  };
  if (stop.aborted) onStop();
  else stop.addEventListener("abort", onStop, { once: true });
  const fed = run.stdin && child.stdin ? settle(run.stdin(child.stdin)) : Promise.resolve(undefined);
  const drained = run.stdout && child.stdout ? settle(run.stdout(child.stdout)) : Promise.resolve(undefined);
  const [feedError, drainError, exit] = await Promise.all([fed, drained, exited]);
  stop.removeEventListener("abort", onStop);
  // A stopped tool's forked workers may outlive it: the group is gone before we go on.
  await stopping;

  const tool = path.basename(run.bin);
  if (run.signal?.aborted) throw new RewindError("CANCELLED", `${run.what} was cancelled`, { cause: run.signal.reason });
  if (deadline.aborted) {
    throw new RewindError(
      "STEP_FAILED",
      `${run.what}: ${tool} did not finish within ${run.timeoutSeconds} s and was stopped (project.database.timeouts.toolSeconds)`,
      { retryable: true },
    );
  }
  if (exit.error) {
    throw exit.error.code === "ENOENT"
      ? new RewindError(
          "CONFIG_INVALID",
          `${run.bin} not found: install the PostgreSQL client (apt-get install postgresql-client) or set project.database.binDir`,
          { cause: exit.error },
        )
      : new RewindError("STEP_FAILED", `${run.what}: cannot run ${run.bin}: ${exit.error.message}`, { cause: exit.error });
  }
  if (drainError !== undefined) {
    throw new RewindError("STEP_FAILED", `${run.what}: writing ${tool}'s output failed: ${(drainError as Error).message}`, { cause: drainError });
  }
  // Our own refusal of the input (a backup file that differs from its manifest) is why the tool stopped, not its exit code.
  if (isRewindError(feedError)) {
    throw new RewindError(feedError.code, `${run.what}: ${feedError.message}`, { cause: feedError });
  }
  if (exit.code !== 0) {
    const how = exit.signal ? `was killed by ${exit.signal}` : `exit ${exit.code}`;
    throw new RewindError("STEP_FAILED", `${run.what} failed (${tool} ${how}): ${stderr.trim() || "no error output"}`, {
      retryable: run.retryable ?? false,
      details: { stderr: stderr.trim() },
    });
  }
  if (feedError !== undefined) {
    throw new RewindError("STEP_FAILED", `${run.what}: reading the dump failed: ${(feedError as Error).message}`, { cause: feedError });
  }
}

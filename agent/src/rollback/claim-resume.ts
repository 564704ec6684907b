// At agent start-up: the host, for finishing the rollback a killed process left behind. Another
// process may hold the host at that moment (a cron `rewind backup`, a deploy): the agent waits for
// it, polling within a bound, rather than forgetting the rollback until someone runs --resume. The
// host lock is taken here and handed to the resume, so nothing can slip in between.
import { setTimeout as sleep } from "node:timers/promises";
import { isRewindError, RewindError } from "../../../shared/errors.ts";
import type { AgentConfig } from "../config.ts";
import { acquireHostLock, type HostLock } from "../host/host-lock.ts";
import { journalPath, readJournal } from "./journal-file.ts";
import { unfinishedRollback } from "./lock-file.ts";

export interface ResumeClaim {
  rollbackId: string;
  /** The command that asked for it (absent for `rewind rollback --local`): the resumed run reports as it. */
  commandId?: string;
  /** The host, held for the resume: release it once the resume is over. */
  lock: HostLock;
}

export interface ClaimOptions {
  /** The agent stopping: give up waiting, quietly. */
  signal: AbortSignal;
  /** How long to wait for another process to free the host before giving up (LOCKED). */
  maxWaitMs: number;
  pollMs: number;
  /** Told each time the host is found busy (the holder's refusal message). */
  onBusy(rollbackId: string, reason: string): void;
}

async function commandOf(config: AgentConfig, rollbackId: string): Promise<string | undefined> {
  const begin = (await readJournal(journalPath(config.stateDir, rollbackId)))?.[0];
  return begin?.kind === "begin" ? begin.request.commandId : undefined;
}

/**
 * Undefined when no rollback is left unfinished (or it finished while we waited, run by whoever
 * held the host), or when `signal` aborted; LOCKED once the host stayed busy past `maxWaitMs`.
 */
export async function claimInterruptedRollback(config: AgentConfig, options: ClaimOptions): Promise<ResumeClaim | undefined> {
  const deadline = Date.now() + options.maxWaitMs;
  for (;;) {
    const pending = await unfinishedRollback(config.stateDir);
    if (pending === undefined || options.signal.aborted) return undefined;
    let lock: HostLock;
    try {
      lock = await acquireHostLock(config.stateDir, `rollback --resume ${pending}`);
    } catch (error) {
      if (!isRewindError(error, "LOCKED")) throw error;
      if (Date.now() >= deadline) {
        throw new RewindError(
          "LOCKED",
          `rollback ${pending} was interrupted and the host stayed busy for ${Math.round(options.maxWaitMs / 1000)} s (${error.message}); resume it with 'rewind rollback --local --resume' once the host is free`,
          { cause: error },
        );
      }
      options.onBusy(pending, error.message);
      const aborted = await sleep(options.pollMs, false, { signal: options.signal }).catch(() => true);
      if (aborted) return undefined;
      continue;
    }
    // Under the lock the answer is final: whoever held the host may have finished the rollback itself.
    const rollbackId = await unfinishedRollback(config.stateDir);
    if (rollbackId === undefined) {
      await lock.release();
      return undefined;
    }
    const commandId = await commandOf(config, rollbackId);
    return { rollbackId, ...(commandId === undefined ? {} : { commandId }), lock };
  }
}

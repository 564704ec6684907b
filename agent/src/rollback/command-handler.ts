// The channel's `rollback` command runs the same engine as `rewind rollback --local`: this adapter
// turns the signed action into a request and the engine's progress into signed progress reports.
// A rollback a killed agent left behind is resumed at start-up and reports as its original command.
import type Docker from "dockerode";
import { RewindError } from "../../../shared/errors.ts";
import { SerialQueue } from "../../../shared/serial-queue.ts";
import type { CommandHandler, HandlerContext, HandlerResult } from "../agent.ts";
import type { AgentConfig } from "../config.ts";
import type { HostLock } from "../host/host-lock.ts";
import type { RollbackProgress } from "./executor.ts";
import type { RollbackReport } from "./report.ts";
import { resumeRollback, runRollback } from "./run-rollback.ts";

const clip = (text: string | undefined, max: number): string | undefined => (text === undefined ? undefined : text.slice(0, max));

/** Runs the engine with its progress reported as `commandId`, and turns its report into the command's result. */
async function asCommand(
  commandId: string,
  ctx: HandlerContext,
  work: (onProgress: (event: RollbackProgress) => void) => Promise<RollbackReport>,
): Promise<HandlerResult> {
  const reports = new SerialQueue();
  const onProgress = (event: RollbackProgress): void => {
    const message = clip(event.message, 2000);
    const excerpt = clip(event.excerpt, 8000);
    // Reports go out in order, one after the other, as the steps happened.
    void reports.run(() =>
      ctx.report({
        kind: "progress",
        commandId,
        rollbackId: event.rollbackId,
        step: event.step,
        state: event.state,
        ...(event.startedAt ? { startedAt: event.startedAt } : {}),
        ...(event.durationMs === undefined ? {} : { durationMs: Math.round(event.durationMs) }),
        ...(message ? { message } : {}),
        ...(excerpt ? { excerpt } : {}),
        bound: event.bound,
      }),
    );
  };
  try {
    const report = await work(onProgress);
    await reports.idle();
    return {
      ok: report.state === "succeeded",
      ...(report.error ? { code: report.error.code, message: `${report.error.step}: ${report.error.message}`.slice(0, 4000) } : {}),
      output: { report },
    };
  } catch (error) {
    await reports.idle();
    if (error instanceof RewindError) return { ok: false, code: error.code, message: error.message.slice(0, 4000) };
    throw error;
  }
}

export function rollbackCommandHandler(config: AgentConfig, docker: Docker): CommandHandler {
  return async (claims, ctx) => {
    const action = claims.action;
    if (action.type !== "rollback") throw new TypeError(`rollback handler called for a ${action.type} command`);
    return asCommand(claims.jti, ctx, (onProgress) =>
      runRollback(
        config,
        {
          rollbackId: action.rollbackId,
          backup: action.backupId
            ? { kind: "id", backupId: action.backupId, ...(action.manifestSha256 === undefined ? {} : { manifestSha256: action.manifestSha256 }) }
            : { kind: "last" },
          mode: action.mode,
          reason: action.reason,
          commandId: claims.jti,
        },
        // The agent took the host for this command before acknowledging it.
        { docker, signal: ctx.signal, onProgress, ...(ctx.hostLock === undefined ? {} : { hostLock: ctx.hostLock }) },
      ),
    );
  };
}

/** The work that finishes an interrupted rollback as the command `commandId` that started it, holding `hostLock`. */
export function resumeAsCommand(config: AgentConfig, docker: Docker, commandId: string, hostLock: HostLock): (ctx: HandlerContext) => Promise<HandlerResult> {
  return (ctx) => asCommand(commandId, ctx, (onProgress) => resumeRollback(config, { docker, signal: ctx.signal, onProgress, hostLock }));
}

// The channel's `rollback` command runs the same engine as `rewind rollback --local`: this adapter
// turns the signed action into a request and the engine's progress into signed progress reports.
import type Docker from "dockerode";
import { RewindError } from "../../../shared/errors.ts";
import type { CommandHandler } from "../agent.ts";
import type { AgentConfig } from "../config.ts";
import type { RollbackProgress } from "./executor.ts";
import { runRollback } from "./run-rollback.ts";

const clip = (text: string | undefined, max: number): string | undefined => (text === undefined ? undefined : text.slice(0, max));

export function rollbackCommandHandler(config: AgentConfig, docker: Docker): CommandHandler {
  return async (claims, ctx) => {
    const action = claims.action;
    if (action.type !== "rollback") throw new TypeError(`rollback handler called for a ${action.type} command`);
    let reports: Promise<void> = Promise.resolve();
    const onProgress = (event: RollbackProgress): void => {
      const message = clip(event.message, 2000);
      const excerpt = clip(event.excerpt, 8000);
      // Reports go out in order, one after the other, as the steps happened.
      reports = reports.then(() =>
        ctx.report({
          kind: "progress",
          commandId: claims.jti,
          rollbackId: event.rollbackId,
          step: event.step,
          state: event.state,
          ...(event.startedAt ? { startedAt: event.startedAt } : {}),
          ...(event.durationMs === undefined ? {} : { durationMs: Math.round(event.durationMs) }),
          ...(message ? { message } : {}),
          ...(excerpt ? { excerpt } : {}),
        }),
      );
    };
    try {
      const report = await runRollback(
        config,
        {
          rollbackId: action.rollbackId,
          backup: action.backupId ? { kind: "id", backupId: action.backupId } : { kind: "last" },
          mode: action.mode,
          reason: action.reason,
        },
        { docker, signal: ctx.signal, onProgress },
      );
      await reports;
      return {
        ok: report.state === "succeeded",
        ...(report.error ? { code: report.error.code, message: `${report.error.step}: ${report.error.message}`.slice(0, 4000) } : {}),
        output: { report },
      };
    } catch (error) {
      await reports;
      if (error instanceof RewindError) return { ok: false, code: error.code, message: error.message.slice(0, 4000) };
      throw error;
    }
  };
}

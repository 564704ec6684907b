// The agent's handler for the control plane's `backup` command: runs the backup, streams its
// progress up as `backup` step reports, then sends the manifest (signed, like every report) for
// the control plane to store and index.
import type Docker from "dockerode";
import { SerialQueue } from "../../../shared/serial-queue.ts";
import type { CommandHandler } from "../agent.ts";
import type { AgentConfig } from "../config.ts";
import type { BackupProgress } from "./progress.ts";
import { runBackup } from "./run-backup.ts";

export function backupHandler(config: AgentConfig, docker: Docker): CommandHandler {
  return async (claims, ctx) => {
    if (claims.action.type !== "backup") return { ok: false, code: "MALFORMED", message: "not a backup command" };
    // Progress callbacks are synchronous; reports are sent in order, one after another.
    const reports = new SerialQueue();
    const onProgress = (event: BackupProgress): void => {
      const message = `${event.phase}: ${event.message}`.slice(0, 2000);
      void reports.run(() => ctx.report({ kind: "progress", commandId: claims.jti, step: "backup", state: event.state, message }));
    };
    try {
      const result = await runBackup(
        config,
        // The agent took the host for this command before acknowledging it.
        { docker, onProgress, signal: ctx.signal, ...(ctx.hostLock === undefined ? {} : { hostLock: ctx.hostLock }) },
        { offsite: claims.action.offsite === true },
      );
      await reports.idle();
      await ctx.report({ kind: "manifest", manifest: result.manifest });
      return {
        ok: true,
        output: {
          backupId: result.manifest.backupId,
          timestamp: result.manifest.timestamp,
          dir: result.dir,
          ...(result.offsite ? { offsite: result.offsite } : {}),
          removed: result.retention.removed,
        },
      };
    } finally {
      await reports.idle();
    }
  };
}

// `rewind deploy`, the seed's deploy-with-rollback.sh: back up first, run the deploy command, watch
// the project's health for a window, and on a failed command, 3 consecutive failed checks or a
// failed verification roll back at once — through the control plane when it takes the request
// (the agent process runs it), locally with the engine otherwise.
import type Docker from "dockerode";
import { isRewindError } from "../../../shared/errors.ts";
import { randomId } from "../../../shared/signing.ts";
import { runBackup } from "../backup/run-backup.ts";
import type { AgentConfig } from "../config.ts";
import { listProjectContainers } from "../host/compose.ts";
import { acquireHostLock, type HostLock } from "../host/host-lock.ts";
import type { RollbackProgress } from "../rollback/executor.ts";
import { runRollback } from "../rollback/run-rollback.ts";
import type { CheckResult, FailureCounts } from "./health-watch.ts";
import { type DeployFailure, type DeployOutcome, describeFailure, type RollbackPath } from "./outcome.ts";
import { awaitRollbackReport, requestRemoteRollback } from "./remote-rollback.ts";
import { runDeployCommand } from "./run-command.ts";
import { watchDeployment } from "./watch.ts";

/** Between SIGTERM and SIGKILL for a deploy command past its timeout. */
const commandKillGraceSeconds = 10;

export interface DeployOptions {
  command: readonly string[];
  /** How long the deploy command may run before its process group is killed (a failed deploy). */
  commandTimeoutSeconds: number;
  windowMs: number;
  intervalMs: number;
  failureThreshold: number;
  /** Ask the control plane first (default); false: always roll back locally. */
  viaControlPlane: boolean;
  /** How long to follow a rollback the agent runs for us before giving up on it. */
  rollbackTimeoutMs: number;
}

export type DeployEvent =
  | { kind: "phase"; message: string }
  | { kind: "round"; checks: readonly CheckResult[]; counts: FailureCounts }
  | { kind: "rollback-progress"; event: RollbackProgress };

export interface DeployContext {
  docker: Docker;
  env: NodeJS.ProcessEnv;
  onEvent(event: DeployEvent): void;
}

/**
 * The deploy holds the host lock from its backup to its rollback, so no other backup or rollback
 * (the agent's, a cron's) runs under a deploy; it lets go only to let the agent run the rollback.
 */
export async function runDeploy(config: AgentConfig, options: DeployOptions, ctx: DeployContext): Promise<DeployOutcome> {
  let lock: HostLock;
  try {
    lock = await acquireHostLock(config.stateDir, "deploy");
  } catch (error) {
    if (!isRewindError(error)) throw error;
    return { result: "backup-failed", code: error.code, message: error.message };
  }
  try {
    return await deployHoldingHost(config, options, ctx, lock);
  } finally {
    await lock.release();
  }
}

async function deployHoldingHost(config: AgentConfig, options: DeployOptions, ctx: DeployContext, lock: HostLock): Promise<DeployOutcome> {
  const phase = (message: string): void => ctx.onEvent({ kind: "phase", message });
  phase("taking the pre-deployment backup");
  let backup: Awaited<ReturnType<typeof runBackup>>;
  try {
    backup = await runBackup(config, { docker: ctx.docker, onProgress: (e) => phase(`backup ${e.phase}: ${e.message}`), hostLock: lock });
  } catch (error) {
    if (!isRewindError(error)) throw error;
    return { result: "backup-failed", code: error.code, message: error.message };
  }
  const { manifest } = backup;
  phase(`backup ${manifest.backupId} written to ${backup.dir}`);
  // The services to watch: those the project runs before the deploy, and any the deploy adds.
  const before = new Set((await listProjectContainers(ctx.docker, config.project.name)).map((c) => c.service));

  phase(`running: ${options.command.join(" ")}`);
  const exit = await runDeployCommand(options.command, config.project.dir, ctx.env, {
    timeoutSeconds: options.commandTimeoutSeconds,
    killGraceSeconds: commandKillGraceSeconds,
  });
  let failure: DeployFailure | undefined;
  if (exit.timedOut) {
    failure = { kind: "command-timed-out", timeoutSeconds: options.commandTimeoutSeconds };
  } else if (exit.exitCode !== 0) {
    failure = { kind: "command-failed", exitCode: exit.exitCode, signal: exit.signal };
  } else {
    const after = (await listProjectContainers(ctx.docker, config.project.name)).map((c) => c.service);
    const services = [...new Set([...before, ...after])].sort();
    phase(`watching ${services.join(", ")} for ${Math.round(options.windowMs / 1000)} s`);
    failure = await watchDeployment(ctx.docker, {
      project: config.project.name,
      services,
      smokeChecks: config.project.smokeChecks,
      windowMs: options.windowMs,
      intervalMs: options.intervalMs,
      failureThreshold: options.failureThreshold,
      onRound: (checks, counts) => ctx.onEvent({ kind: "round", checks, counts }),
    });
  }
  if (failure === undefined) return { result: "deployed", backupId: manifest.backupId };

  const reason = `rewind deploy: ${describeFailure(failure)}`;
  phase(`deployment failed (${describeFailure(failure)}): rolling back to ${manifest.backupId}`);
  const base = { backupId: manifest.backupId, failure };

  if (options.viaControlPlane) {
    // The agent process runs the rollback the control plane accepts: it needs the host lock.
    await lock.release();
    const remote = await requestRemoteRollback(config, { reason, manifest });
    if (remote.accepted) {
      phase(
        remote.alreadyRunning
          ? `rollback ${remote.rollbackId} of this host is already under way: following it`
          : `control plane accepted rollback ${remote.rollbackId}; the agent runs it`,
      );
      const report = await awaitRollbackReport(config, remote.rollbackId, options.rollbackTimeoutMs);
      if (report === undefined) {
        return {
          result: "rollback-failed",
          ...base,
          path: "control-plane",
          rollbackId: remote.rollbackId,
          message: `no final report of rollback ${remote.rollbackId} on this host after ${Math.round(options.rollbackTimeoutMs / 1000)} s: is the agent running? Check it in the console or roll back with rewind rollback --local`,
        };
      }
      return rollbackOutcome(base, "control-plane", { ...report, rollbackId: remote.rollbackId });
    }
    phase(`control plane did not take the rollback (${remote.reason}): rolling back locally`);
  }

  const report = await runRollback(
    config,
    { rollbackId: randomId(), backup: { kind: "manifest", dir: backup.dir }, mode: "full", reason: reason.slice(0, 500) },
    {
      docker: ctx.docker,
      // Once the deploy failed, the rollback runs to its end: no cancel path from here.
      signal: new AbortController().signal,
      onProgress: (event) => ctx.onEvent({ kind: "rollback-progress", event }),
      ...(options.viaControlPlane ? {} : { hostLock: lock }),
    },
  );
  return rollbackOutcome(base, "local", report);
}

/** The outcome of a deploy that was rolled back, by either path, from the rollback's final report. */
function rollbackOutcome(
  base: { backupId: string; failure: DeployFailure },
  path: RollbackPath,
  report: { rollbackId: string; state: string; error?: { step: string; message: string } | undefined },
): DeployOutcome {
  return {
    result: report.state === "succeeded" ? "rolled-back" : "rollback-failed",
    ...base,
    path,
    rollbackId: report.rollbackId,
    rollbackState: report.state,
    ...(report.error === undefined ? {} : { message: `${report.error.step}: ${report.error.message}` }),
  };
}

// What `rewind deploy` ended with, and the exit code that says so to the script or CI calling it:
// 0 deployed and healthy, 3 failed and rolled back, 4 failed and the rollback did not restore the
// host, 5 the pre-deployment backup failed (nothing was deployed).
export type DeployFailure =
  | { kind: "command-failed"; exitCode: number | null; signal: string | null }
  | { kind: "command-timed-out"; timeoutSeconds: number }
  | { kind: "health-checks"; check: string; count: number; detail: string }
  | { kind: "verification"; failed: string[] };

export type RollbackPath = "control-plane" | "local";

export type DeployOutcome =
  | { result: "deployed"; backupId: string }
  | { result: "backup-failed"; code: string; message: string }
  | {
      result: "rolled-back" | "rollback-failed";
      backupId: string;
      failure: DeployFailure;
      path: RollbackPath;
      rollbackId?: string;
      rollbackState?: string;
      message?: string;
    };

export const deployExitCodes = { deployed: 0, "rolled-back": 3, "rollback-failed": 4, "backup-failed": 5 } as const;

export function exitCodeOf(outcome: DeployOutcome): number {
  return deployExitCodes[outcome.result];
}

/** One line for the terminal and the rollback's recorded reason. */
export function describeFailure(failure: DeployFailure): string {
  switch (failure.kind) {
    case "command-failed":
      return failure.signal === null ? `deploy command exited with code ${failure.exitCode ?? "unknown"}` : `deploy command was killed by ${failure.signal}`;
    case "command-timed-out":
      return `deploy command did not finish within ${failure.timeoutSeconds} s (--timeout, deploy.commandTimeoutSeconds): its process group was killed`;
    case "health-checks":
      return `${failure.count} consecutive failed health checks: ${failure.detail}`;
    case "verification":
      return `verification failed at the end of the watch window: ${failure.failed.join(", ")}`;
  }
}

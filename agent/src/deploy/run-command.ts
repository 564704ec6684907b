// Runs the user's deploy command as given: argv, not a shell string (a shell only if the user
// names one, e.g. `-- sh -c '…'`), with this terminal's stdin/stdout/stderr, in the project dir.
// The command runs in a process group of its own, bounded by a timeout: past it the whole group
// (the script and whatever it started) gets SIGTERM, then SIGKILL after a grace period. Rewind's own
// SIGINT/SIGTERM (Ctrl-C) while it runs go to that group too, since it no longer shares the terminal's.
import { spawn } from "node:child_process";
import { RewindError } from "../../../shared/errors.ts";
import { signalGroup, stopGroup } from "../host/process-group.ts";

export interface CommandExit {
  exitCode: number | null;
  signal: string | null;
  /** The command ran past its timeout and its process group was killed. */
  timedOut: boolean;
}

export interface CommandLimits {
  timeoutSeconds: number;
  /** Between SIGTERM and SIGKILL once the timeout passed. */
  killGraceSeconds: number;
}

export function runDeployCommand(argv: readonly string[], cwd: string, env: NodeJS.ProcessEnv, limits: CommandLimits): Promise<CommandExit> {
  const [file, ...args] = argv;
  if (file === undefined) throw new RewindError("BAD_REQUEST", "no deploy command: put it after --, e.g. rewind deploy -- ./deploy.sh");
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { cwd, env, stdio: "inherit", detached: true });
    let timedOut = false;
    let stopping: Promise<void> = Promise.resolve();
    const forward = (signal: NodeJS.Signals): void => {
      if (child.pid !== undefined) signalGroup(child.pid, signal);
    };
    const onSigint = (): void => forward("SIGINT");
    const onSigterm = (): void => forward("SIGTERM");
    process.on("SIGINT", onSigint);
    process.on("SIGTERM", onSigterm);
    const timer = setTimeout(() => {
      timedOut = true;
      if (child.pid !== undefined) stopping = stopGroup(child.pid, limits.killGraceSeconds);
    }, limits.timeoutSeconds * 1000);
    const cleanUp = (): void => {
      clearTimeout(timer);
      process.off("SIGINT", onSigint);
      process.off("SIGTERM", onSigterm);
    };
    child.once("error", (error) => {
      cleanUp();
      reject(new RewindError("BAD_REQUEST", `cannot run deploy command ${file}: ${error.message}`, { cause: error }));
    });
    child.once("exit", (exitCode, signal) => {
      cleanUp();
      // After a timeout, what the script started may outlive it: the group is gone before we go on.
      void stopping.then(() => resolve({ exitCode, signal, timedOut }), reject);
    });
  });
}

// Runs the user's deploy command as given: argv, not a shell string (a shell only if the user
// names one, e.g. `-- sh -c '…'`), with this terminal's stdin/stdout/stderr, in the project dir.
import { spawn } from "node:child_process";
import { RewindError } from "../../../shared/errors.ts";

export interface CommandExit {
  exitCode: number | null;
  signal: string | null;
}

export function runDeployCommand(argv: readonly string[], cwd: string, env: NodeJS.ProcessEnv): Promise<CommandExit> {
  const [file, ...args] = argv;
  if (file === undefined) throw new RewindError("BAD_REQUEST", "no deploy command: put it after --, e.g. rewind deploy -- ./deploy.sh");
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { cwd, env, stdio: "inherit" });
    child.once("error", (error) => reject(new RewindError("BAD_REQUEST", `cannot run deploy command ${file}: ${error.message}`, { cause: error })));
    child.once("exit", (exitCode, signal) => resolve({ exitCode, signal }));
  });
}

// Runs the real `rewind` CLI (bin/rewind.js) in its own process, as an operator or a host would,
// to completion: a non-zero exit is a result to assert on, not an error.
import { execFile } from "node:child_process";
import path from "node:path";

const repoRoot = path.resolve(import.meta.dirname, "../..");
export const rewindBin = path.join(repoRoot, "bin/rewind.js");

export interface CliResult {
  /** The exit code; -1 when the process ended on a signal. */
  code: number;
  stdout: string;
  stderr: string;
}

export function runRewindCli(args: readonly string[], options: { env?: NodeJS.ProcessEnv; cwd?: string } = {}): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [rewindBin, ...args],
      { cwd: options.cwd ?? repoRoot, env: options.env ?? process.env, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === "number" ? error.code : -1;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

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

/**
 * `entry`: the file node runs, bin/rewind.js unless a test runs the bundle (dist/rewind.mjs).
 * `input`: written to the CLI's stdin, which is then closed (a token for `rewind login`).
 */
export function runRewindCli(
  args: readonly string[],
  options: { env?: NodeJS.ProcessEnv; cwd?: string; entry?: string; input?: string } = {},
): Promise<CliResult> {
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      [options.entry ?? rewindBin, ...args],
      { cwd: options.cwd ?? repoRoot, env: options.env ?? process.env, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === "number" ? error.code : -1;
        resolve({ code, stdout, stderr });
      },
    );
    child.stdin?.end(options.input ?? "");
  });
}

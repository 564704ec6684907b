// Runs a program (no shell) to completion with a deadline: killed with SIGKILL past `timeoutMs`, so a
// hung git or Compose never holds a rollback step forever. Rejects with execFile's error, carrying the
// exit `code`, `killed`/`signal`, and the output so far as `stdout`/`stderr`.
import { execFile } from "node:child_process";

export interface RunFileOptions {
  cwd?: string;
  timeoutMs: number;
  signal?: AbortSignal;
  /** Output beyond this fails the call (default 64 MiB). */
  maxBuffer?: number;
}

export interface RunFileOutput {
  stdout: string;
  stderr: string;
}

export function runFile(file: string, args: readonly string[], options: RunFileOptions): Promise<RunFileOutput> {
  return new Promise((resolve, reject) => {
    execFile(
      file,
      args,
      {
        cwd: options.cwd,
        timeout: options.timeoutMs,
        killSignal: "SIGKILL",
        maxBuffer: options.maxBuffer ?? 64 * 1024 * 1024,
        ...(options.signal ? { signal: options.signal } : {}),
      },
      (error, stdout, stderr) => (error ? reject(Object.assign(error, { stdout, stderr })) : resolve({ stdout, stderr })),
    );
  });
}

// Runs the real `rewind` CLI (bin/rewind.js) as a child process, the way an operator would, with
// its output streamed line by line to the caller and kept for the error message if it fails.
import { spawn } from "node:child_process";
import path from "node:path";
import * as z from "zod";
import { RewindError } from "../../shared/errors.ts";

const repoRoot = path.resolve(import.meta.dirname, "../..");
export const rewindBin = path.join(repoRoot, "bin/rewind.js");

export interface CliRun {
  code: number | null;
  /** stdout and stderr lines, interleaved as they came. */
  output: string[];
  stdout: string[];
}

export function runRewind(args: string[], options: { onLine?: (line: string) => void; signal?: AbortSignal } = {}): Promise<CliRun> {
  const child = spawn(process.execPath, [rewindBin, ...args], {
    cwd: repoRoot,
    stdio: ["ignore", "pipe", "pipe"],
    ...(options.signal === undefined ? {} : { signal: options.signal, killSignal: "SIGTERM" as const }),
  });
  const output: string[] = [];
  const stdout: string[] = [];
  const collect = (stream: NodeJS.ReadableStream, own: string[] | undefined): void => {
    let buffer = "";
    stream.setEncoding("utf8");
    stream.on("data", (chunk: string) => {
      buffer += chunk;
      for (let newline = buffer.indexOf("\n"); newline >= 0; newline = buffer.indexOf("\n")) {
        const line = buffer.slice(0, newline);
        buffer = buffer.slice(newline + 1);
        output.push(line);
        own?.push(line);
        options.onLine?.(line);
      }
    });
    stream.on("end", () => {
      if (buffer !== "") {
        output.push(buffer);
        own?.push(buffer);
        options.onLine?.(buffer);
      }
    });
  };
  if (child.stdout) collect(child.stdout, stdout);
  if (child.stderr) collect(child.stderr, undefined);
  return new Promise((resolve, reject) => {
    child.once("error", (error) => {
      if ((error as NodeJS.ErrnoException).code === "ABORT_ERR") return;
      reject(error);
    });
    child.once("close", (code) => resolve({ code, output, stdout }));
  });
}

const deployOutcome = z.object({
  result: z.string(),
  failure: z.object({ kind: z.string() }).optional(),
  path: z.string().optional(),
  rollbackId: z.string().optional(),
});

/** `rewind deploy --json` prints its outcome last on stdout, after whatever the deploy command printed. */
export function parseDeployOutcome(stdout: readonly string[]): z.output<typeof deployOutcome> {
  const start = stdout.lastIndexOf("{");
  const parsed = start < 0 ? undefined : deployOutcome.safeParse(JSON.parse(stdout.slice(start).join("\n")));
  if (parsed?.success !== true) throw new RewindError("MALFORMED", `rewind deploy printed no outcome:\n${stdout.join("\n")}`);
  return parsed.data;
}

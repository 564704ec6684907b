// Runs pg_dump and streams its output to the backup file: through gzip for the seed's plain
// `.sql.gz`, or as pg_dump's own compressed custom format (`-Fc`) for a parallel `pg_restore -j`.
// The dump is hashed and counted on its way to disk and never held in memory.
import { spawn } from "node:child_process";
import { createWriteStream } from "node:fs";
import { rm } from "node:fs/promises";
import path from "node:path";
import { pipeline } from "node:stream/promises";
import { createGzip } from "node:zlib";
import { RewindError } from "../../../shared/errors.ts";
import { type Digest, DigestStream } from "../backup/digest.ts";

export type DumpFormat = "plain-gzip" | "custom";

export interface DumpOptions {
  /** Directory holding pg_dump (config `project.database.binDir`). */
  binDir: string;
  /** Connection URL of the database to dump (its path names the database). */
  url: string;
  format: DumpFormat;
  outFile: string;
  /** A snapshot exported by `pg_export_snapshot()`, so the dump sees exactly what the row counts saw. */
  snapshot?: string;
  signal?: AbortSignal;
}

/** Keep only the tail of stderr: enough for the error message, bounded whatever pg_dump prints. */
const stderrLimit = 8 * 1024;

/**
 * Splits a URL into a password-free URL for the command line and PGPASSWORD for the environment,
 * so the secret never shows in `ps`.
 */
export function connectionFor(url: string): { dbname: string; env: Record<string, string> } {
  const parsed = new URL(url);
  const password = decodeURIComponent(parsed.password);
  parsed.password = "";
  return { dbname: parsed.toString(), env: password === "" ? {} : { PGPASSWORD: password } };
}

export function dumpArgs(options: Pick<DumpOptions, "format" | "snapshot">, dbname: string): string[] {
  const args = ["--no-password", `--dbname=${dbname}`];
  if (options.format === "custom") args.push("--format=custom");
  if (options.snapshot !== undefined) args.push(`--snapshot=${options.snapshot}`);
  return args;
}

export async function dumpDatabase(options: DumpOptions): Promise<Digest> {
  const { dbname, env } = connectionFor(options.url);
  const bin = path.join(options.binDir, "pg_dump");
  const child = spawn(bin, dumpArgs(options, dbname), {
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr.setEncoding("utf8");
  child.stderr.on("data", (text: string) => {
    stderr = (stderr + text).slice(-stderrLimit);
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; error?: Error }>((resolve) => {
    child.once("error", (error) => resolve({ code: null, signal: null, error }));
    child.once("close", (code, signal) => resolve({ code, signal }));
  });
  const onAbort = (): void => {
    child.kill("SIGTERM");
  };
  if (options.signal?.aborted) onAbort();
  else options.signal?.addEventListener("abort", onAbort, { once: true });

  const digest = new DigestStream();
  // pg_dump's custom format is already compressed; gzip is for the plain SQL stream only.
  const out = createWriteStream(options.outFile);
  const streamed =
    options.format === "plain-gzip"
      ? pipeline(child.stdout, createGzip(), digest, out)
      : pipeline(child.stdout, digest, out);
  const written = streamed.then(
    () => undefined,
    (error: unknown) => error,
  );
  const [streamError, exit] = await Promise.all([written, exited]);
  options.signal?.removeEventListener("abort", onAbort);

  if (exit.error || exit.code !== 0 || streamError !== undefined) {
    await rm(options.outFile, { force: true });
    if (options.signal?.aborted) {
      throw new RewindError("CANCELLED", "the database dump was cancelled", { cause: options.signal.reason });
    }
    if (exit.error) {
      const missing = (exit.error as NodeJS.ErrnoException).code === "ENOENT";
      throw new RewindError(
        missing ? "CONFIG_INVALID" : "STEP_FAILED",
        missing
          ? `pg_dump not found at ${bin}: install the PostgreSQL client (apt-get install postgresql-client) or set project.database.binDir`
          : `cannot run ${bin}: ${exit.error.message}`,
        { cause: exit.error },
      );
    }
    if (exit.code !== 0) {
      const how = exit.signal ? `was killed by ${exit.signal}` : `exited with code ${exit.code}`;
      throw new RewindError("STEP_FAILED", `pg_dump ${how}: ${stderr.trim() || "no error output"}`, {
        retryable: true,
        details: { stderr: stderr.trim() },
      });
    }
    throw new RewindError("STEP_FAILED", `writing the dump to ${options.outFile} failed: ${(streamError as Error).message}`, {
      cause: streamError,
    });
  }
  return digest.digest();
}

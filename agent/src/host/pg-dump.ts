// Runs pg_dump and streams its output to the backup file: through gzip for the seed's plain
// `.sql.gz`, or as pg_dump's own compressed custom format (`-Fc`) for a parallel `pg_restore -j`.
// The dump is hashed and counted on its way to disk and never held in memory. A dump is complete
// only when pg_dump exited 0, every stream stage finished, and (plain format) its output ends with
// pg_dump's completion trailer; anything less removes the file.
import { createWriteStream } from "node:fs";
import { rm } from "node:fs/promises";
import path from "node:path";
import { pipeline } from "node:stream/promises";
import { createGzip } from "node:zlib";
import { RewindError } from "../../../shared/errors.ts";
import { type ArchiveDigest, ByteCount, type Digest, DigestStream } from "../backup/digest.ts";
import { DUMP_COMPLETE_TRAILER, DumpTail } from "../backup/dump-trailer.ts";
import { runPgTool } from "./pg-tool.ts";
import { type PgTimeouts, pgTimeoutDefaults } from "./pg-timeouts.ts";

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
  timeouts?: PgTimeouts;
  signal?: AbortSignal;
}

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

/** Environment every client tool gets: the password, and a bounded connect (libpq's PGCONNECT_TIMEOUT). */
export function toolEnv(url: string, timeouts: Pick<PgTimeouts, "connectSeconds">): { dbname: string; env: Record<string, string> } {
  const { dbname, env } = connectionFor(url);
  return { dbname, env: { ...env, PGCONNECT_TIMEOUT: String(timeouts.connectSeconds) } };
}

export function dumpArgs(
  options: Pick<DumpOptions, "format" | "snapshot">,
  dbname: string,
  timeouts: Pick<PgTimeouts, "statementSeconds"> = pgTimeoutDefaults,
): string[] {
  // A table lock pg_dump cannot get (a migration holding ACCESS EXCLUSIVE) fails the dump instead of hanging it.
  const args = ["--no-password", `--dbname=${dbname}`, `--lock-wait-timeout=${timeouts.statementSeconds}s`];
  if (options.format === "custom") args.push("--format=custom");
  if (options.snapshot !== undefined) args.push(`--snapshot=${options.snapshot}`);
  return args;
}

export async function dumpDatabase(options: DumpOptions): Promise<Digest | ArchiveDigest> {
  const timeouts = options.timeouts ?? pgTimeoutDefaults;
  const { dbname, env } = toolEnv(options.url, timeouts);
  // A plain dump is restored through a stream that checks each piece before psql reads it.
  const digest = new DigestStream({ pieces: options.format === "plain-gzip" });
  const tail = new DumpTail();
  const unpacked = new ByteCount();
  const out = createWriteStream(options.outFile);
  try {
    await runPgTool({
      bin: path.join(options.binDir, "pg_dump"),
      args: dumpArgs(options, dbname, timeouts),
      what: `dumping ${decodeURIComponent(new URL(options.url).pathname.slice(1)) || "the database"}`,
      timeoutSeconds: timeouts.toolSeconds,
      env,
      retryable: true,
      ...(options.signal ? { signal: options.signal } : {}),
      // pg_dump's custom format is already compressed; gzip is for the plain SQL stream only.
      stdout: (stdout) => (options.format === "plain-gzip" ? pipeline(stdout, tail, unpacked, createGzip(), digest, out) : pipeline(stdout, digest, out)),
    });
    if (options.format === "plain-gzip" && !tail.complete()) {
      throw new RewindError(
        "STEP_FAILED",
        `pg_dump exited 0 but its output ends without "${DUMP_COMPLETE_TRAILER}": the dump was cut short, so it is not kept`,
        { retryable: true },
      );
    }
  } catch (error) {
    out.destroy();
    await rm(options.outFile, { force: true });
    throw error;
  }
  return options.format === "plain-gzip" ? { ...digest.digest(), unpackedBytes: unpacked.bytes } : digest.digest();
}

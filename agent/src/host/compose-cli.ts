// The Compose command line the host has: the v2 plugin (`docker compose`) when it answers, else the
// standalone `docker-compose` (Debian's 1.29). Found once per call, always run with a timeout, from
// the project directory, so what it builds and starts is what that checkout's compose file says.
import { access } from "node:fs/promises";
import path from "node:path";
import { RewindError } from "../../../shared/errors.ts";
import { type RunFileOutput, runFile as run } from "./run-file.ts";

export type ComposeFlavor = "v2" | "v1";

export interface ComposeCli {
  flavor: ComposeFlavor;
  /** Executable and the arguments before the compose subcommand: `docker compose` or `docker-compose`. */
  file: string;
  prefix: string[];
  /** e.g. "2.24.5" or "1.29.2". */
  version: string;
}

export interface ComposeRunOptions {
  /** The checkout holding the compose file; Compose resolves build contexts and `.env` from it. */
  projectDir: string;
  /** `-p`: the project name the containers are labelled with. */
  projectName: string;
  /** `-f` for each, in order (`project.composeFiles`); absent: Compose's default file names and override rule. */
  files?: readonly string[];
  timeoutMs: number;
  signal?: AbortSignal;
}

/** The version number in `docker compose version` / `docker-compose version` output, if it is one. */
export function parseComposeVersion(output: string): string | undefined {
  return /version v?(\d+\.\d+\.\d+[\w.+-]*)/i.exec(output)?.[1]?.replace(/,$/, "");
}

async function versionOf(file: string, args: string[], timeoutMs: number): Promise<string | undefined> {
  try {
    const { stdout } = await run(file, args, { timeoutMs });
    return parseComposeVersion(stdout);
  } catch {
    return undefined;
  }
}

/** How long `docker compose version` (or `docker-compose version`) may take to answer. */
export const composeDetectTimeoutMs = 20_000;

/** The host's Compose CLI, or undefined when neither `docker compose` nor `docker-compose` answers. */
export async function detectComposeCli(timeoutMs = composeDetectTimeoutMs): Promise<ComposeCli | undefined> {
  const v2 = await versionOf("docker", ["compose", "version"], timeoutMs);
  if (v2 !== undefined) return { flavor: "v2", file: "docker", prefix: ["compose"], version: v2 };
  const v1 = await versionOf("docker-compose", ["version"], timeoutMs);
  if (v1 !== undefined) return { flavor: "v1", file: "docker-compose", prefix: [], version: v1 };
  return undefined;
}

export async function requireComposeCli(timeoutMs?: number): Promise<ComposeCli> {
  const cli = await detectComposeCli(timeoutMs);
  if (!cli) {
    throw new RewindError(
      "PRECONDITION_FAILED",
      "no Compose CLI on this host: neither `docker compose version` nor `docker-compose version` answers; install the compose plugin or Debian's docker-compose",
    );
  }
  return cli;
}

/** How the operator types it: `docker compose` or `docker-compose`. */
export const commandName = (cli: ComposeCli): string => [cli.file, ...cli.prefix].join(" ");

/** The full command line, for messages and for running. */
export function composeArgs(cli: ComposeCli, projectName: string, args: readonly string[], files: readonly string[] = []): string[] {
  return [...cli.prefix, ...files.flatMap((file) => ["-f", file]), "--project-name", projectName, ...args];
}

/** Run a compose subcommand in the project directory; a failure or timeout is STEP_FAILED with Compose's own words. */
export async function runCompose(cli: ComposeCli, options: ComposeRunOptions, args: readonly string[]): Promise<RunFileOutput> {
  const files = options.files ?? [];
  const full = composeArgs(cli, options.projectName, args, files);
  const shown = [commandName(cli), ...files.flatMap((file) => ["-f", file]), ...args].join(" ");
  try {
    return await run(cli.file, full, { cwd: options.projectDir, timeoutMs: options.timeoutMs, ...(options.signal ? { signal: options.signal } : {}) });
  } catch (error) {
    const failure = error as Error & { killed?: boolean; stderr?: string; code?: unknown };
    const timedOut = failure.killed === true && !options.signal?.aborted;
    const stderr = (failure.stderr ?? "").trim().split("\n").slice(-15).join("\n");
    throw new RewindError(
      "STEP_FAILED",
      timedOut
        ? `\`${shown}\` in ${options.projectDir} did not finish within ${Math.round(options.timeoutMs / 1000)} s`
        : `\`${shown}\` in ${options.projectDir} failed: ${stderr || failure.message}`,
      { cause: error },
    );
  }
}

/** The file names Compose looks for in a project directory, in its order of preference. */
export const composeFileNames = ["compose.yaml", "compose.yml", "docker-compose.yml", "docker-compose.yaml"] as const;

/** The compose file Compose would use in `dir`, if any. */
export async function composeFileIn(dir: string): Promise<string | undefined> {
  for (const name of composeFileNames) {
    const file = path.join(dir, name);
    if (
      await access(file).then(
        () => true,
        () => false,
      )
    )
      return file;
  }
  return undefined;
}

// The project's git checkout: read the current commit and branch, and revert to a backup's commit
// the way the seed's "Issue 5" does it (stash local changes first, detached checkout if needed).
// Every call runs with hooks and fsmonitor off: the agent runs as root, and a hook in the checkout
// (or a core.fsmonitor command in its config) must never run with that power. Every call has a deadline.
import { RewindError } from "../../../shared/errors.ts";
import { runFile } from "./run-file.ts";

/** Hooks and fsmonitor are commands from the checkout's own config: never run them. */
export const safeGitConfig = ["-c", "core.hooksPath=/dev/null", "-c", "core.fsmonitor=false"] as const;

/** Long enough for a checkout of a big tree on a slow disk; a hung git (a lock, NFS) is cut off. */
export const gitTimeoutMs = 120_000;

export interface GitHead {
  commit: string;
  /** The checked-out branch, or "HEAD" when detached. */
  branch: string;
}

export interface GitCallOptions {
  signal?: AbortSignal;
  timeoutMs?: number;
}

/** git with the safe config, in `dir`; rejects with execFile's error (its `code` is git's exit code). */
export async function execGit(dir: string, args: readonly string[], options: GitCallOptions = {}): Promise<string> {
  const { stdout } = await runFile("git", [...safeGitConfig, "-C", dir, ...args], {
    maxBuffer: 16 * 1024 * 1024,
    timeoutMs: options.timeoutMs ?? gitTimeoutMs,
    ...(options.signal ? { signal: options.signal } : {}),
  });
  return stdout;
}

/** A git call whose failures are typed: PRECONDITION_FAILED (git said no), STEP_FAILED (timed out), CANCELLED. */
export async function runGit(dir: string, args: string[], options: GitCallOptions = {}): Promise<string> {
  try {
    return (await execGit(dir, args, options)).trim();
  } catch (error) {
    const failure = error as { stderr?: string; killed?: boolean; signal?: string | null };
    if (options.signal?.aborted) {
      throw new RewindError("CANCELLED", `git ${args.join(" ")} in ${dir} was cancelled`, { cause: error });
    }
    if (failure.killed === true && failure.signal === "SIGKILL") {
      const seconds = Math.round((options.timeoutMs ?? gitTimeoutMs) / 1000);
      throw new RewindError(
        "STEP_FAILED",
        `git ${args.join(" ")} in ${dir} did not finish within ${seconds} s and was stopped; is a git lock held or the disk hung?`,
        {
          cause: error,
        },
      );
    }
    const stderr = failure.stderr?.trim() ?? "";
    throw new RewindError("PRECONDITION_FAILED", `git ${args.join(" ")} in ${dir} failed: ${stderr || (error as Error).message}`, {
      cause: error,
    });
  }
}

export async function gitHead(dir: string, options: GitCallOptions = {}): Promise<GitHead> {
  const commit = await runGit(dir, ["rev-parse", "HEAD"], options);
  const branch = await runGit(dir, ["rev-parse", "--abbrev-ref", "HEAD"], options);
  return { commit, branch };
}

/** The checked-out commit, or undefined when `dir` is not a checkout or has no commit yet. */
export async function gitCommitIfAny(dir: string): Promise<string | undefined> {
  try {
    return (await execGit(dir, ["rev-parse", "HEAD"], { timeoutMs: 10_000 })).trim();
  } catch (error) {
    if ((error as { code?: unknown }).code === 128) return undefined;
    throw new RewindError("UNAVAILABLE", `cannot read git HEAD of ${dir}: ${(error as Error).message}`, { cause: error });
  }
}

export async function hasCommit(dir: string, commit: string, options: GitCallOptions = {}): Promise<boolean> {
  try {
    await runGit(dir, ["cat-file", "-e", `${commit}^{commit}`], options);
    return true;
  } catch (error) {
    if (error instanceof RewindError && error.code === "PRECONDITION_FAILED") return false;
    throw error;
  }
}

/** True when tracked files differ from HEAD. */
export async function isDirty(dir: string): Promise<boolean> {
  return (await runGit(dir, ["status", "--porcelain", "--untracked-files=no"])) !== "";
}

/**
 * Stash changes to tracked files under a message naming the rollback, as the seed does; returns
 * whether anything was stashed. Untracked files stay put: the backups directory often lives in the
 * checkout un-ignored, and stashing it would hide the very archives being restored.
 */
export async function stashChanges(dir: string, message: string): Promise<boolean> {
  if (!(await isDirty(dir))) return false;
  await runGit(dir, ["stash", "push", "-m", message]);
  return true;
}

/** The stash entry (`stash@{n}`) whose message is exactly `message`, if any. */
export async function findStash(dir: string, message: string): Promise<string | undefined> {
  const list = await runGit(dir, ["stash", "list", "--format=%gd%x09%gs"]);
  for (const line of list.split("\n")) {
    const [ref, subject] = line.split("\t");
    // `git stash push -m M` records "On <branch>: M".
    if (ref && subject?.endsWith(`: ${message}`)) return ref;
  }
  return undefined;
}

/** Applies and drops the stash entry; git keeps it when it does not apply cleanly. */
export async function popStash(dir: string, ref: string): Promise<void> {
  await runGit(dir, ["stash", "pop", ref]);
}

/** Files that are ignored and present in the working tree, relative to `dir`. */
export async function ignoredFiles(dir: string): Promise<string[]> {
  const out = await runGit(dir, ["ls-files", "-z", "--others", "--ignored", "--exclude-standard"]);
  return out.split("\0").filter((f) => f !== "");
}

/** Every file `commit` tracks, relative to the repository root. */
export async function trackedFiles(dir: string, commit: string): Promise<string[]> {
  const out = await runGit(dir, ["ls-tree", "-r", "-z", "--name-only", "--full-tree", commit]);
  return out.split("\0").filter((f) => f !== "");
}

/** The repository's top directory (paths from ls-tree are relative to it). */
export async function topLevel(dir: string): Promise<string> {
  return runGit(dir, ["rev-parse", "--show-toplevel"]);
}

/**
 * Check out `commit`, without the seed's `-f`: an untracked file in the way makes git refuse (and the
 * rollback undo) rather than silently overwrite it. If `branch` points at it, check the branch out (so the host stays on a branch);
 * otherwise detach at the commit, as the seed does when the branch has moved on.
 */
export async function checkoutCommit(dir: string, commit: string, branch?: string): Promise<void> {
  if (!(await hasCommit(dir, commit))) {
    throw new RewindError("PRECONDITION_FAILED", `commit ${commit} is not in the repository at ${dir}; fetch it first`);
  }
  if (branch && branch !== "HEAD") {
    const tip = await runGit(dir, ["rev-parse", "--verify", "--quiet", `refs/heads/${branch}`]).catch(() => "");
    if (tip !== "" && tip.startsWith(commit)) {
      await runGit(dir, ["checkout", "--quiet", branch]);
      return;
    }
  }
  await runGit(dir, ["checkout", "--quiet", "--detach", commit]);
}

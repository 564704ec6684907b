// The project's git checkout: read the current commit and branch, and revert to a backup's commit
// the way the seed's "Issue 5" does it (stash local changes first, detached checkout if needed).
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { RewindError } from "../../../shared/errors.ts";

const exec = promisify(execFile);

export interface GitHead {
  commit: string;
  /** The checked-out branch, or "HEAD" when detached. */
  branch: string;
}

async function git(dir: string, args: string[]): Promise<string> {
  try {
    const { stdout } = await exec("git", ["-C", dir, ...args], { maxBuffer: 16 * 1024 * 1024 });
    return stdout.trim();
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr?.trim() ?? "";
    throw new RewindError("PRECONDITION_FAILED", `git ${args.join(" ")} in ${dir} failed: ${stderr || (error as Error).message}`, {
      cause: error,
    });
  }
}

export async function gitHead(dir: string): Promise<GitHead> {
  const commit = await git(dir, ["rev-parse", "HEAD"]);
  const branch = await git(dir, ["rev-parse", "--abbrev-ref", "HEAD"]);
  return { commit, branch };
}

/** The checked-out commit, or undefined when `dir` is not a checkout or has no commit yet. */
export async function gitCommitIfAny(dir: string): Promise<string | undefined> {
  try {
    const { stdout } = await exec("git", ["-C", dir, "rev-parse", "HEAD"], { timeout: 10_000 });
    return stdout.trim();
  } catch (error) {
    if ((error as { code?: unknown }).code === 128) return undefined;
    throw new RewindError("UNAVAILABLE", `cannot read git HEAD of ${dir}: ${(error as Error).message}`, { cause: error });
  }
}

export async function hasCommit(dir: string, commit: string): Promise<boolean> {
  try {
    await git(dir, ["cat-file", "-e", `${commit}^{commit}`]);
    return true;
  } catch {
    return false;
  }
}

/** True when tracked files differ from HEAD. */
export async function isDirty(dir: string): Promise<boolean> {
  return (await git(dir, ["status", "--porcelain", "--untracked-files=no"])) !== "";
}

/**
 * Stash changes to tracked files under a message naming the rollback, as the seed does; returns
 * whether anything was stashed. Untracked files stay put: the backups directory often lives in the
 * checkout un-ignored, and stashing it would hide the very archives being restored.
 */
export async function stashChanges(dir: string, message: string): Promise<boolean> {
  if (!(await isDirty(dir))) return false;
  await git(dir, ["stash", "push", "-m", message]);
  return true;
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
    const tip = await git(dir, ["rev-parse", "--verify", "--quiet", `refs/heads/${branch}`]).catch(() => "");
    if (tip !== "" && tip.startsWith(commit)) {
      await git(dir, ["checkout", "--quiet", branch]);
      return;
    }
  }
  await git(dir, ["checkout", "--quiet", "--detach", commit]);
}

// The compose files a project runs with: `project.composeFiles` (the host's `-f compose.yaml -f
// compose.prod.yaml`) when configured, else the one Compose finds by its default names. The paths
// come from the config but the files from the git checkout of whichever release is being started,
// so they are checked where they are used: on disk before each Compose run, and, before a rollback
// stops anything, as the checkout to the target commit will leave them.
import { lstat, stat } from "node:fs/promises";
import path from "node:path";
import { RewindError } from "../../../shared/errors.ts";
import { realLocation } from "../backup/real-location.ts";
import { composeFileIn, composeFileNames, type ComposeRunOptions } from "./compose-cli.ts";
import { type GitCallOptions, runGit } from "./git.ts";

export interface ComposeProject {
  name: string;
  dir: string;
  composeFiles?: readonly string[] | undefined;
}

/** Why `file` cannot be a `project.composeFiles` entry (checked lexically, at start-up), if it cannot. */
export function composeFilePathProblem(file: string): string | undefined {
  if (file.includes("\0")) return "must not contain a NUL byte";
  if (path.isAbsolute(file)) return "must be relative to project.dir, not absolute";
  const normal = path.normalize(file);
  // Compose would read `-f -` from stdin, and may take `-f -x` for an option (`./-x` normalizes to it).
  if (normal.startsWith("-")) return "must not start with -";
  if (normal === "." || normal.endsWith(path.sep)) return "must name a file, not a directory";
  if (normal === ".." || normal.startsWith(`..${path.sep}`)) return "must stay inside project.dir (its .. leads out of it)";
  return undefined;
}

/** `p`'s real location; one that cannot be told (a symlink loop, no permission) is this step's failure, naming `shown`. */
async function located(p: string, shown: string): Promise<string> {
  try {
    return await realLocation(p);
  } catch (error) {
    throw new RewindError("STEP_FAILED", `cannot tell where compose file ${shown} (project.composeFiles) really leads: ${(error as Error).message}`, {
      cause: error,
    });
  }
}

/** `relative` (to `root`) leaves `root` or is `root` itself. */
const leaves = (relative: string): boolean => relative === "" || relative === ".." || relative.startsWith(`..${path.sep}`) || path.isAbsolute(relative);

/**
 * The configured files, each checked on disk now: present, a file, and really (every symlink
 * followed) inside the project directory. Compose gets them as configured, relative to the project
 * directory it runs in, so its own rules (project directory, relative paths, `.env`) are the ones
 * the operator's `docker compose -f …` gets.
 */
export async function checkedComposeFiles(dir: string, files: readonly string[]): Promise<string[]> {
  const realDir = await located(dir, dir);
  for (const file of files) {
    const real = await located(path.join(dir, file), file);
    if (leaves(path.relative(realDir, real))) {
      throw new RewindError("STEP_FAILED", `compose file ${file} (project.composeFiles) leads outside ${dir} (it really is ${real}); refused`);
    }
    const info = await stat(real).catch(() => undefined);
    if (!info?.isFile()) {
      throw new RewindError("STEP_FAILED", `compose file ${file} (project.composeFiles) is ${info ? "not a file" : "missing"} in ${dir}`);
    }
  }
  return [...files];
}

/** Whether the checkout in `project.dir` is started with Compose: configured files, or a default-named one present. */
export async function usesCompose(project: ComposeProject): Promise<boolean> {
  return project.composeFiles !== undefined || (await composeFileIn(project.dir)) !== undefined;
}

/** How to run Compose for the project now: its name, its directory and its checked `-f` files. */
export async function composeRunOptions(project: ComposeProject, timeoutMs: number): Promise<ComposeRunOptions> {
  const base = { projectDir: project.dir, projectName: project.name, timeoutMs };
  return project.composeFiles ? { ...base, files: await checkedComposeFiles(project.dir, project.composeFiles) } : base;
}

interface TreeEntry {
  mode: string;
  type: string;
  object: string;
}

/** `git ls-tree` of one path at `commit` (relative to `dir`): mode, type and object id, if the path is there. */
async function treeEntry(dir: string, commit: string, file: string, options: GitCallOptions): Promise<TreeEntry | undefined> {
  const out = await runGit(dir, ["--literal-pathspecs", "ls-tree", "-z", commit, "--", file], options);
  const [mode, type, object] = (out.split("\0")[0] ?? "").split("\t")[0]?.split(" ") ?? [];
  return mode && type && object ? { mode, type, object } : undefined;
}

/** Why `file`'s entry at `commit` cannot be a compose file, if it cannot: a directory, a submodule, or a symlink out of `dir`. */
async function entryProblem(dir: string, short: string, file: string, entry: TreeEntry, options: GitCallOptions): Promise<string | undefined> {
  if (entry.type !== "blob")
    return `compose file ${file} (project.composeFiles) is a ${entry.type === "tree" ? "directory" : "submodule"} in commit ${short}, not a file`;
  if (entry.mode !== "120000") return undefined;
  const target = await runGit(dir, ["cat-file", "blob", entry.object], options);
  if (path.isAbsolute(target) || leaves(path.relative(".", path.join(path.dirname(file), target)))) {
    return `compose file ${file} (project.composeFiles) is a symbolic link to ${target} in commit ${short}, outside ${dir}; refused`;
  }
  return undefined;
}

/**
 * Why the configured files cannot start the release at `commit`, if they cannot. Read from git, not
 * only the working tree: the checkout to `commit` happens after the services stop. After it, a file
 * is there when `commit` has it, or when it is untracked now (a host-only override git never had:
 * the checkout leaves it, as the stash does); one only the current commit tracks is gone.
 */
export async function composeFilesProblemAt(dir: string, commit: string, files: readonly string[], options: GitCallOptions = {}): Promise<string | undefined> {
  const short = commit.slice(0, 12);
  for (const file of files) {
    const entry = await treeEntry(dir, commit, file, options);
    if (entry) {
      const problem = await entryProblem(dir, short, file, entry, options);
      if (problem) return problem;
      continue;
    }
    const untracked =
      !(await treeEntry(dir, "HEAD", file, options)) &&
      (await lstat(path.join(dir, file)).then(
        () => true,
        () => false,
      ));
    if (!untracked) {
      return `compose file ${file} (project.composeFiles) is not in commit ${short}, nor kept untracked in ${dir}: that release cannot be started with it; change project.composeFiles or roll back to a commit that has it`;
    }
    try {
      await checkedComposeFiles(dir, [file]);
    } catch (error) {
      return (error as Error).message;
    }
  }
  return undefined;
}

/** Whether starting the release at `commit` may run Compose: configured files, or a default-named file now or in that commit. */
export async function mayUseComposeAt(project: ComposeProject, commit: string, options: GitCallOptions = {}): Promise<boolean> {
  if (await usesCompose(project)) return true;
  for (const name of composeFileNames) if (await treeEntry(project.dir, commit, name, options)) return true;
  return false;
}

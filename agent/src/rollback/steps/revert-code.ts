// Step 7: the seed's "Issue 5" done right: local changes are stashed (never lost), then the backup's
// commit is checked out, on its branch when the branch still points there. git treats ignored files
// as expendable: an `.env` ignored today but tracked by the old commit would be overwritten by the
// checkout (and deleted again by an undo). Such files are first copied, durably, into the rollback's
// directory, and the report names them; the undo puts them back and pops the stash.
import { copyFile } from "node:fs/promises";
import path from "node:path";
import { entriesIn } from "../../host/dir-entries.ts";
import { fsyncFile, mkdirPrivate } from "../../host/durable-file.ts";
import { checkoutCommit, findStash, gitHead, ignoredFiles, popStash, stashChanges, topLevel, trackedFiles } from "../../host/git.ts";
import type { DocumentedState, StepContext, StepOutput } from "../step-context.ts";
import { targetOfRun } from "../step-context.ts";

const stashMessage = (rollbackId: string): string => `rewind: before rollback ${rollbackId}`;
const keptDir = (ctx: StepContext): string => path.join(ctx.dir, "kept-files");

/** Ignored files in the checkout that `commit` tracks: the checkout would overwrite them. */
async function atRisk(top: string, commit: string): Promise<string[]> {
  const tracked = new Set(await trackedFiles(top, commit));
  return (await ignoredFiles(top)).filter((file) => tracked.has(file));
}

/** Paths (relative to the repository top) of the copies kept so far; none only when nothing was kept. */
async function keptFiles(ctx: StepContext): Promise<string[]> {
  const entries = await entriesIn(keptDir(ctx), { recursive: true });
  return entries.filter((e) => e.isFile()).map((e) => path.relative(keptDir(ctx), path.join(e.parentPath, e.name)));
}

async function keepCopies(ctx: StepContext, top: string, files: readonly string[]): Promise<void> {
  for (const file of files) {
    const copy = path.join(keptDir(ctx), file);
    await mkdirPrivate(path.dirname(copy));
    await copyFile(path.join(top, file), copy);
    await fsyncFile(copy);
  }
}

export async function revertCode(ctx: StepContext): Promise<StepOutput> {
  const dir = ctx.config.project.dir;
  const target = targetOfRun(ctx);
  const head = await gitHead(dir);
  if (head.commit.startsWith(target.commit) || target.commit.startsWith(head.commit)) {
    return {
      commit: head.commit,
      branch: head.branch,
      stashed: (await findStash(dir, stashMessage(ctx.request.rollbackId))) !== undefined,
      kept: await keptFiles(ctx),
    };
  }
  const top = await topLevel(dir);
  const risky = await atRisk(top, target.commit);
  if (risky.length > 0) {
    await keepCopies(ctx, top, risky);
    ctx.progress(
      `${risky.join(", ")}: ignored here but tracked by ${target.commit.slice(0, 12)}; the checkout replaces them, the current versions are kept in ${keptDir(ctx)}`,
    );
  }
  await stashChanges(dir, stashMessage(ctx.request.rollbackId));
  // Found by its message, so a run resumed after the stash still knows it made one.
  const stashed = (await findStash(dir, stashMessage(ctx.request.rollbackId))) !== undefined;
  if (stashed) ctx.progress("local changes stashed (git stash list shows them)");
  await checkoutCommit(dir, target.commit, target.branch);
  const after = await gitHead(dir);
  ctx.progress(`checked out ${after.commit.slice(0, 12)} (${after.branch})`);
  return { commit: after.commit, branch: after.branch, stashed, kept: await keptFiles(ctx) };
}

/** The undo of revert-code: the documented commit back, the stash popped, the kept files restored. */
export async function restoreCode(ctx: StepContext, documented: DocumentedState): Promise<string[]> {
  const dir = ctx.config.project.dir;
  const actions: string[] = [];
  const head = await gitHead(dir);
  if (head.commit !== documented.commit) {
    await checkoutCommit(dir, documented.commit, documented.branch);
    actions.push(`git back at ${documented.commit.slice(0, 12)}`);
  }
  const stash = await findStash(dir, stashMessage(ctx.request.rollbackId));
  if (stash !== undefined) {
    await popStash(dir, stash);
    actions.push("local changes stashed before the rollback restored");
  }
  const kept = await keptFiles(ctx);
  if (kept.length > 0) {
    const top = await topLevel(dir);
    for (const file of kept) {
      await mkdirPrivate(path.dirname(path.join(top, file)));
      await copyFile(path.join(keptDir(ctx), file), path.join(top, file));
    }
    actions.push(`${kept.join(", ")} restored as they were before the rollback`);
  }
  return actions;
}

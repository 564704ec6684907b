// Step 7: the seed's "Issue 5" done right: local changes are stashed (never lost), then the backup's
// commit is checked out, on its branch when the branch still points there.
import { checkoutCommit, gitHead, stashChanges } from "../../host/git.ts";
import type { StepContext, StepOutput } from "../step-context.ts";
import { targetOfRun } from "../step-context.ts";

export async function revertCode(ctx: StepContext): Promise<StepOutput> {
  const dir = ctx.config.project.dir;
  const target = targetOfRun(ctx);
  const head = await gitHead(dir);
  if (head.commit.startsWith(target.commit) || target.commit.startsWith(head.commit)) {
    return { commit: head.commit, branch: head.branch, stashed: false };
  }
  const stashed = await stashChanges(dir, `rewind: before rollback ${ctx.request.rollbackId}`);
  if (stashed) ctx.progress("local changes stashed (git stash list shows them)");
  await checkoutCommit(dir, target.commit, target.branch);
  const after = await gitHead(dir);
  ctx.progress(`checked out ${after.commit.slice(0, 12)} (${after.branch})`);
  return { commit: after.commit, branch: after.branch, stashed };
}

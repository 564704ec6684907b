// Step 2: pin the backup preflight checked, and where the rollback goes (commit, image per service),
// into the journal, so a resumed run restores exactly the same thing.
import * as z from "zod";
import { RewindError } from "../../../../shared/errors.ts";
import { loadedBackup, targetOf } from "../loaded-backup.ts";
import type { StepContext, StepOutput } from "../step-context.ts";

export async function loadBackup(ctx: StepContext): Promise<StepOutput> {
  const parsed = z.object({ backup: loadedBackup }).safeParse(ctx.outputs.preflight);
  if (!parsed.success) throw new RewindError("INTERNAL", "preflight recorded no backup; run the rollback again");
  const target = targetOf(parsed.data.backup, ctx.request.commit);
  const backup = target.backup;
  ctx.progress(
    `backup ${backup.backupId ?? backup.timestamp} from ${backup.timestamp} (${backup.source}) → commit ${target.commit.slice(0, 12)} on ${target.branch}`,
  );
  return { target };
}

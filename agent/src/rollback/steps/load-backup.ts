// Step 2: pin the backup preflight checked, and where the rollback goes (commit, image per service,
// the containers as they ran when recorded), into the journal, so a resumed run restores exactly
// the same thing.
import * as z from "zod";
import { RewindError } from "../../../../shared/errors.ts";
import { readRecordedConfig } from "../../backup/container-config.ts";
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
  // The recorded configuration belongs to the backup's commit; a code-only rollback to another
  // commit gets that commit's own compose configuration instead.
  if (backup.containers && target.commit === backup.commit) {
    const recorded = await readRecordedConfig(backup.dir, { path: backup.containers.file, sha256: backup.containers.sha256 });
    ctx.progress(`${recorded.containers.length} containers recorded at backup time will be recreated as they ran`);
    return { target: { ...target, containers: recorded.containers, networks: recorded.networks } };
  }
  return { target };
}

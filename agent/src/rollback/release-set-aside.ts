// After a rollback succeeded, what older rollbacks set aside goes by the retention rules (retention.ts):
// their data copies (full mode only) and their image holds (any mode: images are not data). This is
// housekeeping, so a failure is reported, not raised: the report names each failure and what stays
// kept for the operator to remove by hand, and one failure never hides another (one line each).
import type Docker from "dockerode";
import type { AgentConfig } from "../config.ts";
import { releaseHeldImages } from "./hold-images.ts";
import { pruneSetAside } from "./prune-set-aside.ts";
import type { RollbackReport } from "./report.ts";

export async function releaseOlderSetAside(config: AgentConfig, docker: Docker, report: RollbackReport): Promise<void> {
  const failures = report.retentionError === undefined ? [] : [report.retentionError];
  if (report.mode === "full") {
    try {
      report.prunedSetAside = await pruneSetAside(config, docker, report.rollbackId);
    } catch (error) {
      failures.push(
        `pruning older rollbacks' set-aside data copies failed (${(error as Error).message}); they stay kept: ` +
          "drop the databases and remove the directories `rewind status` shows as prunable by hand",
      );
    }
  }
  try {
    const holds = await releaseHeldImages(config, docker, report.rollbackId);
    report.releasedImages = holds.released;
    if (holds.inUse.length > 0) report.heldImagesInUse = holds.inUse;
  } catch (error) {
    failures.push(
      `releasing older rollbacks' image holds failed (${(error as Error).message}); they stay tagged: ` +
        `remove the rewind-keep/${config.project.name}/ tags \`rewind status\` shows as prunable with docker rmi`,
    );
  }
  if (failures.length > 0) report.retentionError = failures.join("\n");
}

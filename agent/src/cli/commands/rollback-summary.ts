// What `rewind rollback --local` prints once a rollback ends: its state, downtime, and everything it
// set aside or held (named, so the operator knows what is kept and why), then any error and any
// retention failure.
import type { RollbackReport } from "../../rollback/report.ts";
import { formatDuration } from "../format.ts";

export function rollbackSummary(report: RollbackReport): { stdout: string; stderr: string } {
  const lines = [`rollback ${report.rollbackId}: ${report.state}`];
  if (report.downtimeMs !== undefined) lines.push(`downtime: ${formatDuration(report.downtimeMs)}`);
  if (report.setAside?.database) lines.push(`pre-rollback database kept as ${report.setAside.database}`);
  if (report.setAside?.minio) lines.push(`pre-rollback MinIO data kept at ${report.setAside.minio}`);
  if (report.undoSetAside?.database) lines.push(`restored database, written to after start, kept as ${report.undoSetAside.database}`);
  if (report.undoSetAside?.minio) lines.push(`restored MinIO data, written to after start, kept at ${report.undoSetAside.minio}`);
  if (report.heldImages && report.heldImages.length > 0) lines.push(`pre-rollback images held as ${report.heldImages.join(", ")}`);
  if (report.releasedImages && report.releasedImages.length > 0) lines.push(`older rollbacks' image holds released: ${report.releasedImages.join(", ")}`);
  if (report.heldImagesInUse && report.heldImagesInUse.length > 0)
    lines.push(`image holds kept, a container still uses them: ${report.heldImagesInUse.join(", ")}`);
  if (report.degraded && report.degraded.length > 0) lines.push(`degraded while watching: ${report.degraded.join(", ")}`);
  const errors = report.error ? [`rewind: ${report.error.code}: ${report.error.message} (in step ${report.error.step})`] : [];
  // Housekeeping that failed after the rollback itself ended: one line per failure, each saying what is left to remove.
  for (const line of report.retentionError?.split("\n") ?? []) errors.push(`rewind: retention: ${line}`);
  const stderr = errors.map((line) => `${line}\n`).join("");
  return { stdout: `${lines.join("\n")}\n`, stderr };
}

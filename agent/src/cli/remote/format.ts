// How `rewind status` shows one rollback: a header, a line per step (../format.ts), and the outcome.
// Pure string building, no I/O.
import { formatDuration, stepLine } from "../format.ts";
import type { RollbackDetail } from "../../../../shared/schemas/api.ts";

export function statusHeader(detail: RollbackDetail): string {
  const lines = [
    `rollback ${detail.rollbackId} on ${detail.host}: ${detail.state}`,
    `  backup ${detail.backupId}, requested by ${detail.requestedBy} at ${detail.createdAt}`,
    `  reason: ${detail.reason}`,
  ];
  if (detail.state === "pending-approval") {
    lines.push(`  approvals: ${detail.approvals.length} of ${detail.approvalsRequired}; approve with: rewind approve ${detail.rollbackId}`);
  }
  return `${lines.join("\n")}\n`;
}

export function statusFooter(detail: RollbackDetail): string {
  const lines: string[] = [];
  if (detail.downtimeMs !== undefined) lines.push(`downtime: ${formatDuration(detail.downtimeMs)}`);
  if (detail.outcome?.code !== undefined || detail.outcome?.message !== undefined) {
    lines.push(`${detail.outcome.code ?? "ERROR"}: ${detail.outcome.message ?? ""}`.trimEnd());
  }
  lines.push(`final state: ${detail.state}`);
  return `${lines.join("\n")}\n`;
}

/** The whole status block: header and a line per step. */
export function statusBlock(detail: RollbackDetail, frame = 0): string {
  const steps = detail.steps.map((step) => stepLine(step, frame));
  return `${statusHeader(detail)}${steps.length === 0 ? "  (waiting for the agent)\n" : `${steps.join("\n")}\n`}`;
}

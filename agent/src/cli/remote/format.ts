// How the operator CLI prints: aligned tables, one line per rollback step (a spinner frame while
// it runs), durations. Pure string building, no I/O.
import type { RollbackDetail, StepLine } from "./responses.ts";

const spinner = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];
const marks: Record<string, string> = { succeeded: "✓", failed: "✗", skipped: "-", pending: "·" };

export function formatDuration(ms: number | undefined): string {
  if (ms === undefined) return "";
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${Math.floor(ms / 60_000)} min ${String(Math.round((ms % 60_000) / 1000)).padStart(2, "0")} s`;
}

export function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((header, i) => Math.max(header.length, ...rows.map((row) => (row[i] ?? "").length)));
  const line = (cells: string[]) =>
    cells
      .map((cell, i) => cell.padEnd(widths[i] ?? 0))
      .join("  ")
      .trimEnd();
  return `${[line(headers), ...rows.map(line)].join("\n")}\n`;
}

/** `✓ preflight       succeeded  1.2 s  disk ok`; a running step shows spinner frame `frame`. */
export function stepLine(step: StepLine, frame = 0): string {
  const mark = step.state === "running" ? (spinner[frame % spinner.length] ?? "*") : (marks[step.state] ?? "?");
  const duration = formatDuration(step.durationMs);
  const parts = [mark, step.step.padEnd(15), step.state.padEnd(9), duration.padEnd(9), step.message ?? ""];
  return parts.join(" ").trimEnd();
}

export function statusHeader(detail: RollbackDetail): string {
  const lines = [
    `rollback ${detail.rollbackId} on ${detail.host}: ${detail.state}`,
    `  backup ${detail.backupId}, requested by ${detail.requestedBy} at ${detail.createdAt}`,
    `  reason: ${detail.reason}`,
  ];
  if (detail.state === "pending-approval") {
    lines.push(`  approvals: ${detail.approvals?.length ?? 0} of ${detail.approvalsRequired ?? 1}; approve with: rewind approve ${detail.rollbackId}`);
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

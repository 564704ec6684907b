// The demo's timeline as data, and how it reads in a terminal: one line per step with its duration
// as it finishes, then a summary with the rollback's own steps, the downtime and the console.

export interface TimelineEntry {
  label: string;
  durationMs: number;
  ok: boolean;
  /** One short line shown under the step (what it produced or why it failed). */
  detail?: string;
}

export interface RollbackStepLine {
  step: string;
  state: string;
  durationMs?: number;
}

export interface RollbackSummary {
  rollbackId: string;
  state: string;
  automatic: boolean;
  reason: string;
  downtimeMs?: number;
  steps: RollbackStepLine[];
}

const LABEL_WIDTH = 84;

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const minutes = Math.floor(ms / 60_000);
  return `${minutes} min ${Math.round((ms % 60_000) / 1000)} s`;
}

/** The line printed when a step ends, e.g. "  ✓  4. take a backup …… 2.1 s". */
export function formatEntry(index: number, entry: TimelineEntry): string {
  const mark = entry.ok ? "✓" : "✗";
  const label = `${String(index).padStart(2)}. ${entry.label}`;
  const line = `  ${mark} ${label.padEnd(LABEL_WIDTH, " ")} ${formatDuration(entry.durationMs).padStart(9)}`;
  return entry.detail === undefined ? line : `${line}\n${indent(entry.detail, "       ")}`;
}

function indent(text: string, prefix: string): string {
  return text
    .split("\n")
    .map((line) => `${prefix}${line}`)
    .join("\n");
}

export function formatRollback(rollback: RollbackSummary): string {
  const how = rollback.automatic ? "automatic" : "requested";
  const lines = [`  Rollback ${rollback.rollbackId} (${how}): ${rollback.state}`, `    reason: ${rollback.reason}`];
  for (const step of rollback.steps) {
    const took = step.durationMs === undefined ? "" : formatDuration(step.durationMs);
    lines.push(`    ${step.step.padEnd(16)} ${step.state.padEnd(10)} ${took.padStart(9)}`);
  }
  lines.push(`    downtime: ${rollback.downtimeMs === undefined ? "not reported" : formatDuration(rollback.downtimeMs)}`);
  return lines.join("\n");
}

export interface ConsoleAccess {
  url: string;
  viewerToken: string;
  operatorToken: string;
}

export function formatSummary(
  entries: readonly TimelineEntry[],
  totalMs: number,
  rollback: RollbackSummary | undefined,
  access: ConsoleAccess | undefined,
): string {
  const failed = entries.find((entry) => !entry.ok);
  const lines = ["", "Timeline"];
  entries.forEach((entry, i) => {
    lines.push(
      `  ${entry.ok ? "✓" : "✗"} ${`${String(i + 1).padStart(2)}. ${entry.label}`.padEnd(LABEL_WIDTH, " ")} ${formatDuration(entry.durationMs).padStart(9)}`,
    );
  });
  lines.push(`  total ${formatDuration(totalMs)}`);
  if (rollback !== undefined) lines.push("", formatRollback(rollback));
  if (access !== undefined) {
    lines.push("", "Console", `  open:           ${access.url}/`, `  viewer token:   ${access.viewerToken}`, `  operator token: ${access.operatorToken}`);
  }
  lines.push("", failed === undefined ? "Demo passed." : `Demo FAILED at: ${failed.label}`);
  return lines.join("\n");
}

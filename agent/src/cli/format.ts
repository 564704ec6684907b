// How the CLI prints, whether the work runs here or on a host through the control plane: one line
// per step (`✓ preflight  succeeded 1.2 s  disk ok`, a spinner frame while it runs), aligned tables,
// durations and ages. Pure string building, no I/O.

export interface StepLine {
  step: string;
  state: string;
  durationMs?: number | undefined;
  message?: string | undefined;
}

const spinner = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];
const marks: Record<string, string> = { succeeded: "✓", failed: "✗", skipped: "-", pending: "·" };

export function formatDuration(ms: number | undefined): string {
  if (ms === undefined) return "";
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${Math.floor(ms / 60_000)} min ${String(Math.round((ms % 60_000) / 1000)).padStart(2, "0")} s`;
}

/** How long ago `iso` was, for tables: "just now", "42 s ago", "2 min ago", "5 h ago", "3 days ago". */
export function formatAge(iso: string | null | undefined, now: number): string {
  if (iso === null || iso === undefined) return "never";
  const at = Date.parse(iso);
  if (Number.isNaN(at)) return iso;
  const seconds = Math.floor((now - at) / 1000);
  // A clock a little ahead of ours is still "now"; far ahead is worth showing as it is.
  if (seconds < -60) return `in the future (${iso})`;
  if (seconds < 1) return "just now";
  if (seconds < 60) return `${seconds} s ago`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ago`;
  if (seconds < 48 * 3600) return `${Math.floor(seconds / 3600)} h ago`;
  return `${Math.floor(seconds / 86_400)} days ago`;
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

/** `✓ preflight       succeeded 1.2 s     disk ok`; a running step shows spinner frame `frame`. */
export function stepLine(step: StepLine, frame = 0): string {
  const mark = step.state === "running" ? (spinner[frame % spinner.length] ?? "*") : (marks[step.state] ?? "?");
  const duration = formatDuration(step.durationMs);
  const parts = [mark, step.step.padEnd(15), step.state.padEnd(9), duration.padEnd(9), step.message ?? ""];
  return parts.join(" ").trimEnd();
}

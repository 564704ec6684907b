// What of a container's log leaves the host. Application logs hold secrets (tokens, passwords in
// URLs, personal data), and whatever the agent reports is signed, kept in the immutable audit log and
// readable by viewers. So by default only the log's sha256 and size go out (the log itself stays in
// the rollback's logs-before/ directory); an operator may opt in to the last lines with configured
// patterns redacted. Pure.
import { createHash } from "node:crypto";
import type { AgentConfig } from "../config.ts";

export type LogSharing = { mode: "digest" } | { mode: "redacted"; patterns: readonly string[]; lines: number };

export const redactionMark = "[redacted]";

export function logSharingOf(config: AgentConfig): LogSharing {
  const reports = config.reports;
  return reports.logs === "digest" ? { mode: "digest" } : { mode: "redacted", patterns: reports.redact, lines: reports.lines };
}

/** Compiles the configured patterns; a bad one is a config error found at start-up, not mid-rollback. */
export function compilePatterns(patterns: readonly string[]): RegExp[] {
  return patterns.map((pattern) => new RegExp(pattern, "g"));
}

/** The text that may leave the host for one log. `hostPath`: where the full log is kept. */
export function shareLog(log: string, sharing: LogSharing, hostPath: string): string {
  const digest = `sha256 ${createHash("sha256").update(log).digest("hex")}, ${Buffer.byteLength(log)} bytes, kept on the host at ${hostPath}`;
  if (sharing.mode === "digest") return digest;
  const tail = log.trimEnd().split("\n").slice(-sharing.lines).join("\n");
  const redacted = compilePatterns(sharing.patterns).reduce((text, pattern) => text.replace(pattern, redactionMark), tail);
  return `${digest}; last ${sharing.lines} lines, redacted:\n${redacted}`;
}

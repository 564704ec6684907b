// The agent's logger: pino JSON lines (one object per line, for journald and log shippers) or a
// compact readable line per event for a terminal. Secret-bearing fields are redacted by path.
import pino, { type DestinationStream, type Logger } from "pino";

export type { Logger } from "pino";
export type LogFormat = "json" | "pretty";

/** Fields that may carry key material or bearer tokens, wherever they appear (two levels deep). */
export const redactedPaths = [
  "agentKey",
  "privateJwk",
  "d",
  "token",
  "authorization",
  "secretAccessKey",
  "secretKey",
  "adminToken",
  "*.agentKey",
  "*.privateJwk",
  "*.d",
  "*.token",
  "*.authorization",
  "*.secretAccessKey",
  "*.secretKey",
  "*.adminToken",
];

const levelNames: Record<number, string> = { 10: "TRACE", 20: "DEBUG", 30: "INFO", 40: "WARN", 50: "ERROR", 60: "FATAL" };
const envelope = new Set(["level", "time", "pid", "hostname", "msg"]);

/** One JSON log line → `12:00:01.234 INFO  message key=value …`; lines that are not JSON pass through. */
export function formatPretty(line: string): string {
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return line.endsWith("\n") ? line : `${line}\n`;
  }
  const time = typeof entry.time === "number" ? new Date(entry.time).toISOString().slice(11, 23) : "";
  const level = (typeof entry.level === "number" ? levelNames[entry.level] : undefined) ?? String(entry.level);
  const fields = Object.entries(entry)
    .filter(([key]) => !envelope.has(key))
    .map(([key, value]) => `${key}=${typeof value === "string" ? value : JSON.stringify(value)}`);
  return `${[time, level.padEnd(5), String(entry.msg ?? ""), ...fields].join(" ").trim()}\n`;
}

function prettyStream(out: NodeJS.WritableStream): DestinationStream {
  return { write: (chunk: string) => out.write(formatPretty(chunk)) };
}

export interface LoggerOptions {
  format?: LogFormat;
  level?: string;
  /** Where lines go; stdout by default. */
  destination?: NodeJS.WritableStream;
  /** Bound to every line, e.g. `{ host }`. */
  base?: Record<string, unknown>;
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const out = options.destination ?? process.stdout;
  const stream: DestinationStream = options.format === "pretty" ? prettyStream(out) : { write: (chunk: string) => out.write(chunk) };
  return pino(
    {
      level: options.level ?? "info",
      base: options.base ?? {},
      redact: { paths: redactedPaths, censor: "[redacted]" },
    },
    stream,
  );
}

// Unauthenticated refusals (junk enrollments, bad connect tokens) and tokens refused a route must not
// be an unbounded write path into the permanent audit log. Per minute and action, the first refusal is
// written at once with its details; the rest are counted and folded into one entry when the minute
// ends, with the count and the busiest client addresses and host names (or tokens). A client address
// or host name past its budget of refusals in the minute is answered 429 (a known token keeps its 403).
// Pure: the AuditLog Durable Object keeps the counts.
import type { NewAuditEntry } from "../../../shared/schemas/audit.ts";

export const refusalLimits = { perAddressPerMinute: 20, perHostPerMinute: 20 } as const;
const listedInFold = 10;

export interface Refusal {
  /** The entry as it would have been written on its own (actor system, subject host:<name>). */
  entry: NewAuditEntry;
  /** CF-Connecting-IP, or "unknown" when the request came without it (local runs). */
  address: string;
  /** The host name the refusal names, or `token:<id>` for a known token refused a route (auth.forbidden). */
  host: string;
}

/** Refusals seen earlier in the same minute. */
export interface RefusalCounts {
  sameAddress: number;
  sameHost: number;
  sameAction: number;
}

export interface RefusalVerdict {
  /** Answer 429: this address or host name used its refusals for the minute. */
  limited: boolean;
  /** The first of its action this minute: written now, in full. */
  writeNow: boolean;
}

export function judgeRefusal(counts: RefusalCounts): RefusalVerdict {
  return {
    limited: counts.sameAddress >= refusalLimits.perAddressPerMinute || counts.sameHost >= refusalLimits.perHostPerMinute,
    writeNow: counts.sameAction === 0,
  };
}

/**
 * Whom a refusal is counted against: an IPv4 address as it is, an IPv6 address by its /64 (one
 * customer's network: anyone on one holds 2^64 addresses and would otherwise never reach the budget).
 * Text that is no IPv6 address is counted as given.
 */
export function addressBucket(address: string): string {
  if (!address.includes(":")) return address;
  const lower = address.toLowerCase();
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/.exec(lower);
  if (mapped?.[1] !== undefined) return mapped[1];
  const halves = lower.split("::");
  if (halves.length > 2) return address;
  const groups = (half: string | undefined): string[] => (half === undefined || half === "" ? [] : half.split(":"));
  const head = groups(halves[0]);
  const tail = groups(halves[1]);
  const missing = 8 - head.length - tail.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return address;
  const all = [...head, ...Array<string>(missing).fill("0"), ...tail];
  if (!all.every((group) => /^[0-9a-f]{1,4}$/.test(group))) return address;
  return `${all
    .slice(0, 4)
    .map((group) => Number.parseInt(group, 16).toString(16))
    .join(":")}::/64`;
}

export function minuteOf(now: number): number {
  return Math.floor(now / 60_000);
}

export interface FoldRow {
  address: string;
  host: string;
  count: number;
}

function top(rows: readonly FoldRow[], key: "address" | "host"): { name: string; count: number }[] {
  const totals = new Map<string, number>();
  for (const row of rows) totals.set(row[key], (totals.get(row[key]) ?? 0) + row.count);
  return [...totals.entries()]
    .map(([name, count]) => ({ name, count }))
    .sort((a, b) => b.count - a.count || a.name.localeCompare(b.name))
    .slice(0, listedInFold);
}

/** The one entry for a minute's refusals of `action` beyond the first (undefined when there were none). */
export function foldedEntry(action: string, minute: number, rows: readonly FoldRow[]): NewAuditEntry | undefined {
  const count = rows.reduce((sum, row) => sum + row.count, 0) - 1;
  if (count <= 0) return undefined;
  return {
    actor: { kind: "system" },
    action,
    subject: "refusals",
    details: {
      folded: true,
      count,
      from: new Date(minute * 60_000).toISOString(),
      to: new Date((minute + 1) * 60_000).toISOString(),
      addresses: top(rows, "address"),
      hosts: top(rows, "host"),
    },
  };
}

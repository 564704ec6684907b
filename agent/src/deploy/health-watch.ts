// The deploy watch's decisions, as pure functions: which checks failed in one round (a service
// down, missing or unhealthy, a smoke check off), the consecutive-failure counts across rounds
// that trip a rollback (the seed: 3 in a row), and the verification at the end of the window.
import type { ServiceStatus, SmokeResult } from "../host/health.ts";

export interface CheckResult {
  /** `service:<name>` or `smoke:<name>`. */
  name: string;
  /** undefined: no verdict yet (Docker's health check still starting). */
  ok: boolean | undefined;
  detail: string;
}

export function roundChecks(services: readonly ServiceStatus[], smoke: readonly SmokeResult[]): CheckResult[] {
  return [
    ...services.map((s): CheckResult => {
      const detail = `${s.service} ${s.state}/${s.health}`;
      if (s.state !== "running") return { name: `service:${s.service}`, ok: false, detail };
      if (s.health === "starting") return { name: `service:${s.service}`, ok: undefined, detail };
      return { name: `service:${s.service}`, ok: s.health !== "unhealthy", detail };
    }),
    ...smoke.map(
      (r): CheckResult => ({
        name: `smoke:${r.name}`,
        ok: r.ok,
        detail: `${r.name} ${r.status === undefined ? (r.error ?? "no answer") : `HTTP ${r.status}`}`,
      }),
    ),
  ];
}

/** Consecutive failed rounds per check; a passing round resets it, a pending one leaves it. */
export type FailureCounts = Readonly<Record<string, number>>;

export interface Tripped {
  name: string;
  count: number;
  detail: string;
}

export function countFailures(counts: FailureCounts, checks: readonly CheckResult[]): FailureCounts {
  const next: Record<string, number> = { ...counts };
  for (const check of checks) {
    if (check.ok === false) next[check.name] = (next[check.name] ?? 0) + 1;
    else if (check.ok === true) next[check.name] = 0;
  }
  return next;
}

/** The first check at or past the threshold, in check order. */
export function tripped(counts: FailureCounts, checks: readonly CheckResult[], threshold: number): Tripped | undefined {
  for (const check of checks) {
    const count = counts[check.name] ?? 0;
    if (count >= threshold) return { name: check.name, count, detail: check.detail };
  }
  return undefined;
}

/** At the end of the window every check must pass: still starting is a failed verification. */
export function verificationFailures(checks: readonly CheckResult[]): CheckResult[] {
  return checks.filter((check) => check.ok !== true);
}

// Watches the compose project after a deploy: one round of checks (Docker's health of every
// expected service, the configured smoke checks) every interval until the window closes; trips at
// once on N consecutive failures of any check, and verifies everything at the end of the window.
import type Docker from "dockerode";
import { healthSnapshot, runSmokeChecks, type SmokeCheck } from "../host/health.ts";
import { type CheckResult, countFailures, type FailureCounts, roundChecks, tripped, verificationFailures } from "./health-watch.ts";
import type { DeployFailure } from "./outcome.ts";

export interface WatchOptions {
  project: string;
  services: readonly string[];
  smokeChecks: readonly SmokeCheck[];
  windowMs: number;
  intervalMs: number;
  /** Consecutive failed rounds of one check that mean a rollback (the seed: 3). */
  failureThreshold: number;
  onRound?(checks: readonly CheckResult[], counts: FailureCounts): void;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function round(docker: Docker, options: WatchOptions): Promise<CheckResult[]> {
  const [services, smoke] = await Promise.all([
    healthSnapshot(docker, options.project, options.services),
    runSmokeChecks(options.smokeChecks, Math.max(1000, Math.min(10_000, options.intervalMs))),
  ]);
  return roundChecks(services, smoke);
}

/** undefined: healthy through the window and verified at its end. */
export async function watchDeployment(docker: Docker, options: WatchOptions): Promise<DeployFailure | undefined> {
  const deadline = Date.now() + options.windowMs;
  let counts: FailureCounts = {};
  for (;;) {
    const checks = await round(docker, options);
    counts = countFailures(counts, checks);
    options.onRound?.(checks, counts);
    const trip = tripped(counts, checks, options.failureThreshold);
    if (trip !== undefined) return { kind: "health-checks", check: trip.name, count: trip.count, detail: trip.detail };
    if (Date.now() >= deadline) {
      const failed = verificationFailures(checks);
      return failed.length === 0 ? undefined : { kind: "verification", failed: failed.map((check) => check.detail) };
    }
    await sleep(Math.min(options.intervalMs, Math.max(0, deadline - Date.now())));
  }
}

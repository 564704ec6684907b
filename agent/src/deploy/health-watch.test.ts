import { describe, expect, it } from "vitest";
import type { ServiceStatus } from "../host/health.ts";
import { type CheckResult, countFailures, type FailureCounts, roundChecks, tripped, verificationFailures } from "./health-watch.ts";
import { type DeployOutcome, describeFailure, exitCodeOf } from "./outcome.ts";

const status = (service: string, state: string, health: string): ServiceStatus => ({ service, state, health, ok: false });

describe("one round of checks", () => {
  it("fails a service that is down, missing or unhealthy, leaves a starting one undecided", () => {
    const checks = roundChecks(
      [
        status("backend", "running", "unhealthy"),
        status("frontend", "running", "healthy"),
        status("worker", "exited", "none"),
        status("minio", "running", "starting"),
        status("cache", "missing", "none"),
        status("plain", "running", "none"),
      ],
      [
        { name: "home", ok: true, status: 200 },
        { name: "api", ok: false, status: 404 },
        { name: "upload", ok: false, error: "ECONNREFUSED" },
      ],
    );
    expect(checks.map((c) => [c.name, c.ok])).toEqual([
      ["service:backend", false],
      ["service:frontend", true],
      ["service:worker", false],
      ["service:minio", undefined],
      ["service:cache", false],
      ["service:plain", true],
      ["smoke:home", true],
      ["smoke:api", false],
      ["smoke:upload", false],
    ]);
    expect(checks[7]?.detail).toBe("api HTTP 404");
    expect(checks[8]?.detail).toBe("upload ECONNREFUSED");
  });
});

describe("consecutive failures across rounds", () => {
  const fail: CheckResult = { name: "service:backend", ok: false, detail: "backend running/unhealthy" };
  const pass: CheckResult = { name: "service:backend", ok: true, detail: "backend running/healthy" };
  const pending: CheckResult = { name: "service:backend", ok: undefined, detail: "backend running/starting" };

  function fold(rounds: CheckResult[][]): FailureCounts {
    return rounds.reduce<FailureCounts>((counts, checks) => countFailures(counts, checks), {});
  }

  it.each([
    ["3 failures in a row trip", [[fail], [fail], [fail]], 3],
    ["a pass resets the count", [[fail], [fail], [pass], [fail]], 1],
    ["starting neither counts nor resets", [[fail], [pending], [fail]], 2],
  ])("%s", (_name, rounds, count) => {
    expect(fold(rounds)["service:backend"]).toBe(count);
  });

  it("trips on the first check at the threshold, never below it", () => {
    expect(tripped(fold([[fail], [fail]]), [fail], 3)).toBeUndefined();
    expect(tripped(fold([[fail], [fail], [fail]]), [fail], 3)).toEqual({ name: "service:backend", count: 3, detail: "backend running/unhealthy" });
  });

  it("verification at the end of the window needs every check to pass", () => {
    expect(verificationFailures([pass])).toEqual([]);
    expect(verificationFailures([pass, pending]).map((c) => c.detail)).toEqual(["backend running/starting"]);
  });
});

describe("deploy outcome", () => {
  const failure = { kind: "health-checks" as const, check: "service:backend", count: 3, detail: "backend running/unhealthy" };
  it.each<[DeployOutcome, number]>([
    [{ result: "deployed", backupId: "bk_00000001" }, 0],
    [{ result: "rolled-back", backupId: "bk_00000001", failure, path: "local" }, 3],
    [{ result: "rollback-failed", backupId: "bk_00000001", failure, path: "control-plane" }, 4],
    [{ result: "backup-failed", code: "PREFLIGHT_FAILED", message: "disk full" }, 5],
  ])("%j exits %i", (outcome, code) => {
    expect(exitCodeOf(outcome)).toBe(code);
  });

  it("describes each failure in one line", () => {
    expect(describeFailure(failure)).toBe("3 consecutive failed health checks: backend running/unhealthy");
    expect(describeFailure({ kind: "command-failed", exitCode: 1, signal: null })).toBe("deploy command exited with code 1");
    expect(describeFailure({ kind: "command-failed", exitCode: null, signal: "SIGKILL" })).toBe("deploy command was killed by SIGKILL");
    expect(describeFailure({ kind: "command-timed-out", timeoutSeconds: 600 })).toBe(
      "deploy command did not finish within 600 s (--timeout, deploy.commandTimeoutSeconds): its process group was killed",
    );
    expect(describeFailure({ kind: "verification", failed: ["api HTTP 404"] })).toBe("verification failed at the end of the watch window: api HTTP 404");
  });
});

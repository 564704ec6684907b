import { describe, expect, it } from "vitest";
import { afterDisconnect, type BackoffPolicy, backoffCeiling, backoffDelay, validateBackoff } from "./backoff.ts";

const policy: BackoffPolicy = { initialMs: 500, maxMs: 30_000, multiplier: 2, stableAfterMs: 60_000 };

describe("backoff", () => {
  it.each([
    [0, 500],
    [1, 1_000],
    [2, 2_000],
    [5, 16_000],
    [6, 30_000],
    [40, 30_000],
  ])("ceiling before retry %i is %i ms", (attempt, ceiling) => {
    expect(backoffCeiling(policy, attempt)).toBe(ceiling);
  });

  it.each([
    [3, 0, 0],
    [3, 0.5, 2_000],
    [3, 0.999, 3_996],
    [9, 0.25, 7_500],
  ])("full jitter: attempt %i with draw %f waits %i ms", (attempt, draw, delay) => {
    expect(backoffDelay(policy, attempt, () => draw)).toBe(delay);
  });

  it.each([
    ["never opened", 4, undefined, 8_000, 5],
    ["dropped quickly", 4, 1_000, 8_000, 5],
    ["stable for a minute", 4, 60_000, 500, 1],
    ["first failure", 0, undefined, 500, 1],
  ])("after a disconnect (%s) the next delay ceiling and attempt follow", (_label, attempt, connectedFor, ceiling, next) => {
    const result = afterDisconnect(policy, attempt, connectedFor, () => 0.999999);
    expect(result.attempt).toBe(next);
    expect(result.delayMs).toBe(Math.floor(0.999999 * ceiling));
  });

  it("refuses a policy whose cap is below its start", () => {
    expect(() => validateBackoff({ ...policy, maxMs: 100 })).toThrow(/maxMs cannot be less than its initialMs/);
  });
});

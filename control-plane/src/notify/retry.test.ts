import { describe, expect, it } from "vitest";
import { isRewindError } from "../../../shared/errors.ts";
import { parseRetryPolicy, retryDelays } from "./retry.ts";

describe("notification retry policy", () => {
  it.each([
    [{}, [250, 500, 1000]],
    [{ attempts: 1 }, []],
    [{ attempts: 6, initialDelayMs: 1000, maxDelayMs: 5000 }, [1000, 2000, 4000, 5000, 5000]],
  ])("%j waits %j between tries", (raw, delays) => {
    expect(retryDelays(parseRetryPolicy(raw))).toEqual(delays);
  });

  it("rejects a policy that cannot work", () => {
    expect(() => parseRetryPolicy({ initialDelayMs: 5000, maxDelayMs: 100 })).toThrow(
      "notification retry policy: maxDelayMs cannot be less than initialDelayMs",
    );
    let caught: unknown;
    try {
      parseRetryPolicy({ attempts: 0 });
    } catch (error) {
      caught = error;
    }
    expect(isRewindError(caught, "CONFIG_INVALID")).toBe(true);
  });
});

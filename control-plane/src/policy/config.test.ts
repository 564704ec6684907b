import { describe, expect, it } from "vitest";
import { isRewindError } from "../../../shared/errors.ts";
import { defaultAlertPolicyConfig, parseAlertPolicyConfig } from "./config.ts";

describe("alert policy config", () => {
  it("defaults to the seed's thresholds and conservative caps", () => {
    expect(defaultAlertPolicyConfig).toMatchObject({
      healthCheckFailures: 3,
      errorRatePercent: 10,
      cooldownMinutes: 30,
      maxAutomaticStreak: 2,
      breakerHosts: 3,
      breakerWindowMinutes: 10,
      unlabelledEnvironment: "non-production",
    });
    expect(Object.isFrozen(defaultAlertPolicyConfig)).toBe(true);
  });

  it("keeps overrides and fills the rest", () => {
    const config = parseAlertPolicyConfig({ cooldownMinutes: 5, productionEnvironments: ["live"] });
    expect(config.cooldownMinutes).toBe(5);
    expect(config.productionEnvironments).toEqual(["live"]);
    expect(config.healthCheckFailures).toBe(3);
  });

  it.each([
    [{ cooldownMinutes: -1 }, "cooldownMinutes"],
    [{ maxAutomaticStreak: 0 }, "maxAutomaticStreak"],
    [{ errorRatePercent: 150 }, "errorRatePercent"],
    [{ productionEnvironments: [] }, "productionEnvironments"],
    [{ coolDown: 5 }, ""],
  ])("rejects %j as CONFIG_INVALID naming %s", (raw, field) => {
    let caught: unknown;
    try {
      parseAlertPolicyConfig(raw);
    } catch (error) {
      caught = error;
    }
    expect(isRewindError(caught, "CONFIG_INVALID")).toBe(true);
    if (isRewindError(caught)) {
      expect(caught.details?.field).toBe(field);
      expect(caught.message).toContain("alert policy config is invalid");
    }
  });
});

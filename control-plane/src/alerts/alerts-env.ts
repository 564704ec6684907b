// The alert webhooks' own setting: ALERT_POLICY, optional JSON overriding the policy's thresholds
// and caps (control-plane/src/policy/config.ts), validated once per env object like loadConfig.
import { RewindError } from "../../../shared/errors.ts";
import type { Env } from "../env.ts";
import { type AlertPolicyConfig, defaultAlertPolicyConfig, parseAlertPolicyConfig } from "../policy/config.ts";

export interface AlertsEnv extends Env {
  /** e.g. {"cooldownMinutes":30,"maxAutomaticStreak":2,"breakerHosts":3} */
  ALERT_POLICY?: string;
}

const cache = new WeakMap<object, AlertPolicyConfig>();

export function alertPolicyFor(env: AlertsEnv): AlertPolicyConfig {
  const cached = cache.get(env);
  if (cached !== undefined) return cached;
  let config = defaultAlertPolicyConfig;
  if (env.ALERT_POLICY !== undefined && env.ALERT_POLICY.trim() !== "") {
    let raw: unknown;
    try {
      raw = JSON.parse(env.ALERT_POLICY);
    } catch (error) {
      throw new RewindError("CONFIG_INVALID", "control plane setting ALERT_POLICY must be a JSON object", {
        details: { field: "ALERT_POLICY" },
        cause: error,
      });
    }
    config = parseAlertPolicyConfig(raw);
  }
  cache.set(env, config);
  return config;
}

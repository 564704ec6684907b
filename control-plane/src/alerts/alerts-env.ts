// The alert webhooks' own setting: ALERT_POLICY, optional JSON overriding the policy's thresholds
// and caps (control-plane/src/policy/config.ts), validated once per env object like loadConfig.
import { RewindError } from "../../../shared/errors.ts";
import type { Env } from "../env.ts";
import { log } from "../log.ts";
import { type AlertPolicyConfig, defaultAlertPolicyConfig, parseAlertPolicyConfig } from "../policy/config.ts";

export interface AlertsEnv extends Env {
  /** e.g. {"cooldownMinutes":30,"maxAutomaticStreak":2,"breakerHosts":3} */
  ALERT_POLICY?: string;
}

// Per env object, like loadConfig: a broken ALERT_POLICY is logged once, then refused on every call.
const cache = new WeakMap<object, { config: AlertPolicyConfig } | { error: RewindError }>();

export function alertPolicyFor(env: AlertsEnv): AlertPolicyConfig {
  let entry = cache.get(env);
  if (entry === undefined) {
    try {
      entry = { config: parseAlertPolicy(env.ALERT_POLICY) };
    } catch (error) {
      if (!(error instanceof RewindError)) throw error;
      log.error("config.invalid", { code: error.code, field: "ALERT_POLICY", message: error.message });
      entry = { error };
    }
    cache.set(env, entry);
  }
  if ("error" in entry) throw entry.error;
  return entry.config;
}

function parseAlertPolicy(text: string | undefined): AlertPolicyConfig {
  if (text === undefined || text.trim() === "") return defaultAlertPolicyConfig;
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new RewindError("CONFIG_INVALID", "control plane setting ALERT_POLICY must be a JSON object", {
      details: { field: "ALERT_POLICY" },
      cause: error,
    });
  }
  return parseAlertPolicyConfig(raw);
}

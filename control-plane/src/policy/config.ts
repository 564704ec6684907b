// The alert policy's tunables (seed thresholds, safety caps), validated once into a frozen object;
// a bad value is CONFIG_INVALID naming the field.
import * as z from "zod";
import { parseOrThrow } from "../../../shared/schemas/zod-error.ts";

const alertNames = z.array(z.string().min(1)).min(1);
const minutes = z
  .number()
  .positive()
  .max(7 * 24 * 60);

export const alertPolicyConfig = z.strictObject({
  /** Seed: 3 consecutive failed health checks → immediate rollback. */
  healthCheckFailures: z.number().int().min(1).default(3),
  /** Seed: error rate above 10 % over 10 minutes → rollback. */
  errorRatePercent: z.number().positive().max(100).default(10),
  healthCheckAlerts: alertNames.default(["HealthCheckFailures"]),
  errorRateAlerts: alertNames.default(["HighErrorRate"]),
  deployFailureAlerts: alertNames.default(["DeploymentFailed", "DeployScriptFailed"]),
  verifyFailureAlerts: alertNames.default(["DeploymentVerificationFailed", "VerificationFailed", "PostDeployVerificationFailed"]),
  /** Any alert with this severity rolls back, whatever its name. */
  criticalSeverities: z.array(z.string().min(1)).default(["critical"]),
  productionEnvironments: z.array(z.string().min(1)).min(1).default(["production", "prod"]),
  /** An alert without an environment label is not assumed to be production: rolling back is not free. */
  unlabelledEnvironment: z.enum(["production", "non-production"]).default("non-production"),
  /** No second automatic rollback of one host inside this window. */
  cooldownMinutes: minutes.default(30),
  /** Automatic rollbacks of one host in a row before a person must act. */
  maxAutomaticStreak: z.number().int().min(1).default(2),
  /** Fleet breaker: this many hosts rolled back automatically inside the window stops the next one. */
  breakerHosts: z.number().int().min(1).default(3),
  breakerWindowMinutes: minutes.default(10),
  /** How long a decided episode is remembered for dedupe. */
  episodeMemoryMinutes: minutes.default(24 * 60),
  /** Alerts one alert-source token may send a minute; a delivery past it is refused whole (429), to be resent. */
  maxAlertsPerTokenPerMinute: z.number().int().min(1).max(100_000).default(2000),
});
export type AlertPolicyConfig = Readonly<z.output<typeof alertPolicyConfig>>;

export function parseAlertPolicyConfig(raw: unknown = {}): AlertPolicyConfig {
  return Object.freeze(parseOrThrow(alertPolicyConfig, raw, "alert policy config", "CONFIG_INVALID"));
}

export const defaultAlertPolicyConfig: AlertPolicyConfig = parseAlertPolicyConfig();

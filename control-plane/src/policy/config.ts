// The alert policy's tunables (seed thresholds, safety caps), validated once into a frozen object;
// a bad value is CONFIG_INVALID naming the field.
import * as z from "../../../shared/schemas/zod.ts";
import { parseOrThrow } from "../../../shared/schemas/zod-error.ts";

const alertNames = z.array(z.string().check(z.minLength(1))).check(z.minLength(1));
const minutes = z.number().check(z.positive(), z.lte(7 * 24 * 60));

export const alertPolicyConfig = z.strictObject({
  /** Seed: 3 consecutive failed health checks → immediate rollback. */
  healthCheckFailures: z._default(z.number().check(z.int(), z.gte(1)), 3),
  /** Seed: error rate above 10 % over 10 minutes → rollback. */
  errorRatePercent: z._default(z.number().check(z.positive(), z.lte(100)), 10),
  healthCheckAlerts: z._default(alertNames, ["HealthCheckFailures"]),
  errorRateAlerts: z._default(alertNames, ["HighErrorRate"]),
  deployFailureAlerts: z._default(alertNames, ["DeploymentFailed", "DeployScriptFailed"]),
  verifyFailureAlerts: z._default(alertNames, ["DeploymentVerificationFailed", "VerificationFailed", "PostDeployVerificationFailed"]),
  /** Any alert with this severity rolls back, whatever its name. */
  criticalSeverities: z._default(z.array(z.string().check(z.minLength(1))), ["critical"]),
  productionEnvironments: z._default(z.array(z.string().check(z.minLength(1))).check(z.minLength(1)), ["production", "prod"]),
  /** An alert without an environment label is not assumed to be production: rolling back is not free. */
  unlabelledEnvironment: z._default(z.enum(["production", "non-production"]), "non-production"),
  /** No second automatic rollback of one host inside this window. */
  cooldownMinutes: z._default(minutes, 30),
  /** Automatic rollbacks of one host in a row before a person must act. */
  maxAutomaticStreak: z._default(z.number().check(z.int(), z.gte(1)), 2),
  /** Fleet breaker: this many hosts rolled back automatically inside the window stops the next one. */
  breakerHosts: z._default(z.number().check(z.int(), z.gte(1)), 3),
  breakerWindowMinutes: z._default(minutes, 10),
  /** How long a decided episode is remembered for dedupe. */
  episodeMemoryMinutes: z._default(minutes, 24 * 60),
  /** Alerts one alert-source token may send a minute; a delivery past it is refused whole (429), to be resent. */
  maxAlertsPerTokenPerMinute: z._default(z.number().check(z.int(), z.gte(1), z.lte(100_000)), 2000),
});
export type AlertPolicyConfig = Readonly<z.output<typeof alertPolicyConfig>>;

export function parseAlertPolicyConfig(raw: unknown = {}): AlertPolicyConfig {
  return Object.freeze(parseOrThrow(alertPolicyConfig, raw, "alert policy config", "CONFIG_INVALID"));
}

export const defaultAlertPolicyConfig: AlertPolicyConfig = parseAlertPolicyConfig();

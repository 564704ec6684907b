// Which seed rule, if any, a firing alert matches: health checks, error rate, deploy or verification
// failure, or critical severity. Says nothing about whether now is a good time; decide.ts does.
import type { AlertSignal, RollbackTriggerCode } from "../../../shared/schemas/alerts.ts";
import type { AlertPolicyConfig } from "./config.ts";

export type TriggerMatch =
  | { matched: true; code: RollbackTriggerCode; reason: string }
  | { matched: false; code: "NOT_A_TRIGGER" | "BELOW_THRESHOLD"; reason: string };

export function matchTrigger(signal: AlertSignal, config: AlertPolicyConfig): TriggerMatch {
  const named = matchNamedRule(signal, config);
  if (named?.matched) return named;
  if (signal.severity !== undefined && config.criticalSeverities.includes(signal.severity)) {
    return { matched: true, code: "SEVERITY_CRITICAL", reason: `${signal.alertname || "alert"} has severity ${signal.severity}` };
  }
  return (
    named ?? {
      matched: false,
      code: "NOT_A_TRIGGER",
      reason: `${signal.alertname || "an unnamed alert"} is not a rollback trigger and its severity is ${signal.severity ?? "unset"}`,
    }
  );
}

/**
 * The `rewind_trigger` label (set by infra/prometheus/rewind-rules.yml) names the rule outright, so
 * alerts renamed in a team's own rule files still match; otherwise the alert name decides.
 */
function matchNamedRule(signal: AlertSignal, config: AlertPolicyConfig): TriggerMatch | undefined {
  const name = signal.alertname;
  const trigger = signal.labels.rewind_trigger;
  if (trigger === "health-check" || config.healthCheckAlerts.includes(name) || signal.consecutiveFailures !== undefined) {
    return healthChecks(signal, config);
  }
  if (trigger === "error-rate" || config.errorRateAlerts.includes(name)) return errorRate(signal, config);
  if (trigger === "deploy-failure" || config.deployFailureAlerts.includes(name)) {
    return { matched: true, code: "DEPLOY_FAILED", reason: `${name}: the deployment script failed` };
  }
  if (trigger === "verification-failure" || config.verifyFailureAlerts.includes(name)) {
    return { matched: true, code: "VERIFY_FAILED", reason: `${name}: post-deployment verification failed` };
  }
  return undefined;
}

// Without a count the alert rule itself encodes the threshold (infra/ ships such rules), so the
// alert is trusted; with a count, the count is checked.
function healthChecks(signal: AlertSignal, config: AlertPolicyConfig): TriggerMatch {
  const count = signal.consecutiveFailures;
  if (count !== undefined && count < config.healthCheckFailures) {
    return {
      matched: false,
      code: "BELOW_THRESHOLD",
      reason: `${count} consecutive health-check failures, below the threshold of ${config.healthCheckFailures}`,
    };
  }
  const what = count === undefined ? "consecutive health-check failures" : `${count} consecutive health-check failures`;
  return { matched: true, code: "HEALTH_CHECK_FAILURES", reason: `${what} (threshold ${config.healthCheckFailures})` };
}

function errorRate(signal: AlertSignal, config: AlertPolicyConfig): TriggerMatch {
  const percent = signal.value === undefined ? undefined : asPercent(signal.value);
  if (percent !== undefined && percent <= config.errorRatePercent) {
    return {
      matched: false,
      code: "BELOW_THRESHOLD",
      reason: `error rate ${formatPercent(percent)} is not above ${config.errorRatePercent} %`,
    };
  }
  const what = percent === undefined ? "error rate" : `error rate ${formatPercent(percent)}`;
  return { matched: true, code: "ERROR_RATE", reason: `${what} above ${config.errorRatePercent} % over 10 minutes` };
}

/** Prometheus ratios are 0..1 (`rate(errors)/rate(requests)`), dashboards show percent: accept both. */
export function asPercent(value: number): number {
  return value <= 1 ? value * 100 : value;
}

function formatPercent(percent: number): string {
  return `${Math.round(percent * 10) / 10} %`;
}

// Inbound alert webhooks (Alertmanager v4, Grafana unified alerting, Rewind's small generic JSON)
// and what the alert policy makes of them: normalized signals and recorded decisions.
import * as z from "./zod.ts";
import { hostName, isoTime } from "./common.ts";

export const alertStatus = z.enum(["firing", "resolved"]);
export type AlertStatus = z.output<typeof alertStatus>;

const labelSet = z.record(z.string(), z.string());
/** Vendors send `{}` or omit a label set entirely; both mean "no labels". */
const optionalLabelSet = z.pipe(
  z.nullish(labelSet),
  z.transform((value) => value ?? {}),
);

// Vendor payloads are loose: both tools add fields across releases, and rejecting a webhook because
// of a field we never read would drop a real alert. What the policy reads is validated.
export const alertmanagerAlert = z.looseObject({
  status: alertStatus,
  labels: labelSet,
  annotations: optionalLabelSet,
  startsAt: isoTime,
  /** "0001-01-01T00:00:00Z" while firing (Go's zero time). */
  endsAt: z.optional(isoTime),
  generatorURL: z.optional(z.string()),
  /** Absent before Alertmanager 0.19; the normalizer then derives one from the labels. */
  fingerprint: z.optional(z.string().check(z.minLength(1))),
});

/** https://prometheus.io/docs/alerting/latest/configuration/#webhook_config */
export const alertmanagerPayload = z.looseObject({
  version: z.literal("4"),
  groupKey: z.string(),
  truncatedAlerts: z.optional(z.number().check(z.int(), z.nonnegative())),
  status: alertStatus,
  receiver: z.string(),
  groupLabels: optionalLabelSet,
  commonLabels: optionalLabelSet,
  commonAnnotations: optionalLabelSet,
  externalURL: z.string(),
  alerts: z.array(alertmanagerAlert).check(z.maxLength(1000)),
});
export type AlertmanagerPayload = z.output<typeof alertmanagerPayload>;

export const grafanaAlert = z.looseObject({
  status: alertStatus,
  labels: labelSet,
  annotations: optionalLabelSet,
  startsAt: isoTime,
  endsAt: z.optional(isoTime),
  generatorURL: z.optional(z.string()),
  fingerprint: z.optional(z.string().check(z.minLength(1))),
  silenceURL: z.optional(z.string()),
  dashboardURL: z.optional(z.string()),
  panelURL: z.optional(z.string()),
  imageURL: z.optional(z.string()),
  /** Query and expression results by refId, e.g. { B: 44.2, C: 1 } (Grafana ≥ 9.1). */
  values: z.nullish(z.record(z.string(), z.nullable(z.number()))),
  /** "[ var='B' labels={...} value=14151.33 ]" (every version). */
  valueString: z.optional(z.string()),
});

/** https://grafana.com/docs/grafana/latest/alerting/configure-notifications/manage-contact-points/integrations/webhook-notifier/ */
export const grafanaPayload = z.looseObject({
  receiver: z.string(),
  status: alertStatus,
  orgId: z.number().check(z.int()),
  alerts: z.array(grafanaAlert).check(z.maxLength(1000)),
  groupLabels: optionalLabelSet,
  commonLabels: optionalLabelSet,
  commonAnnotations: optionalLabelSet,
  externalURL: z.optional(z.string()),
  version: z.optional(z.string()),
  groupKey: z.optional(z.string()),
  truncatedAlerts: z.optional(z.number().check(z.int(), z.nonnegative())),
  title: z.optional(z.string()),
  /** "alerting" or "ok". */
  state: z.optional(z.string()),
  message: z.optional(z.string()),
});
export type GrafanaPayload = z.output<typeof grafanaPayload>;

/** Rewind's own format, for scripts and monitors that cannot speak the two above. Ours, so strict. */
export const genericAlert = z.strictObject({
  host: hostName,
  alert: z.string().check(z.minLength(1), z.maxLength(200)),
  status: alertStatus,
  severity: z.optional(z.string().check(z.minLength(1), z.maxLength(40))),
  environment: z.optional(z.string().check(z.minLength(1), z.maxLength(40))),
  value: z.optional(z.number()),
  startsAt: z.optional(isoTime),
  fingerprint: z.optional(z.string().check(z.minLength(1), z.maxLength(128))),
});
export type GenericAlert = z.output<typeof genericAlert>;

export const alertSource = z.enum(["alertmanager", "grafana", "generic"]);
export type AlertSource = z.output<typeof alertSource>;

/** One alert as the policy sees it, whatever sent it. */
export const alertSignal = z.strictObject({
  source: alertSource,
  /** The Rewind host the labels name, or null when none is usable. */
  host: z.nullable(hostName),
  alertname: z.string(),
  status: alertStatus,
  severity: z.optional(z.string()),
  environment: z.optional(z.string()),
  fingerprint: z.string().check(z.minLength(1)),
  /** UTC, millisecond precision, so the same episode from two senders compares equal. */
  startsAt: isoTime,
  value: z.optional(z.number()),
  consecutiveFailures: z.optional(z.number().check(z.int(), z.nonnegative())),
  summary: z.optional(z.string()),
  labels: labelSet,
});
export type AlertSignal = z.output<typeof alertSignal>;

export const rollbackTriggerCodes = ["HEALTH_CHECK_FAILURES", "ERROR_RATE", "DEPLOY_FAILED", "VERIFY_FAILED", "SEVERITY_CRITICAL"] as const;
export const skipCodes = [
  "RESOLVED",
  "NO_HOST",
  "NON_PRODUCTION",
  "NOT_A_TRIGGER",
  "BELOW_THRESHOLD",
  "DUPLICATE_EPISODE",
  "IN_FLIGHT",
  "COOLDOWN",
  "STREAK_LIMIT",
  "FLEET_BREAKER",
] as const;
export const decisionCode = z.enum([...rollbackTriggerCodes, ...skipCodes]);
export type DecisionCode = z.output<typeof decisionCode>;
export type RollbackTriggerCode = (typeof rollbackTriggerCodes)[number];
export type SkipCode = (typeof skipCodes)[number];

export const alertDecision = z.strictObject({
  decision: z.enum(["rollback", "none"]),
  code: decisionCode,
  /** One sentence an operator reads in the console and the audit log. */
  reason: z.string().check(z.minLength(1)),
  host: z.nullable(hostName),
  /** fingerprint@startsAt: one alert episode, however many times and by whom it is delivered. */
  episodeKey: z.string().check(z.minLength(1)),
});
export type AlertDecision = z.output<typeof alertDecision>;

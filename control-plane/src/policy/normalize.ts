// Turns each webhook payload (Alertmanager v4, Grafana, generic) into AlertSignal[]: the one shape
// the policy decides on. Parsing failures are BAD_REQUEST naming the field.
import { bytesToHex, utf8ToBytes } from "@noble/hashes/utils.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { type AlertSignal, type AlertSource, type AlertStatus, alertmanagerPayload, genericAlert, grafanaPayload } from "../../../shared/schemas/alerts.ts";
import { parseOrThrow } from "../../../shared/schemas/zod-error.ts";
import { environmentFromLabels, hostFromLabels, parseCount, parseNumber, severityFromLabels, valueFromValueString } from "./labels.ts";

type Labels = Readonly<Record<string, string>>;

interface VendorAlert {
  status: AlertStatus;
  labels: Labels;
  annotations: Labels;
  startsAt: string;
  fingerprint?: string | undefined;
}

export function signalsFromAlertmanager(body: unknown): AlertSignal[] {
  const payload = parseOrThrow(alertmanagerPayload, body, "Alertmanager webhook payload");
  return payload.alerts.map((alert) => vendorSignal("alertmanager", alert, undefined));
}

export function signalsFromGrafana(body: unknown): AlertSignal[] {
  const payload = parseOrThrow(grafanaPayload, body, "Grafana webhook payload");
  return payload.alerts.map((alert) => {
    const firstValue = Object.values(alert.values ?? {}).find((value): value is number => typeof value === "number");
    return vendorSignal("grafana", alert, firstValue ?? valueFromValueString(alert.valueString));
  });
}

/**
 * A sender that omits startsAt gets the receipt time instead: each delivery is then its own
 * episode, and only the in-flight check and the cooldown hold repeats back. Send startsAt.
 */
export function signalsFromGeneric(body: unknown, receivedAt: Date): AlertSignal[] {
  const alert = parseOrThrow(genericAlert, body, "alert");
  const labels: Record<string, string> = { alertname: alert.alert, host: alert.host };
  if (alert.severity !== undefined) labels.severity = alert.severity;
  if (alert.environment !== undefined) labels.environment = alert.environment;
  return [
    {
      source: "generic",
      host: alert.host,
      alertname: alert.alert,
      status: alert.status,
      severity: alert.severity?.toLowerCase(),
      environment: alert.environment?.toLowerCase(),
      fingerprint: alert.fingerprint ?? labelFingerprint(labels),
      startsAt: utcMillis(alert.startsAt ?? receivedAt.toISOString()),
      value: alert.value,
      labels,
    },
  ];
}

function vendorSignal(source: AlertSource, alert: VendorAlert, vendorValue: number | undefined): AlertSignal {
  const { labels, annotations } = alert;
  const value = parseNumber(annotations.value) ?? parseNumber(labels.value) ?? vendorValue;
  const consecutive = parseCount(labels.consecutive_failures) ?? parseCount(annotations.consecutive_failures);
  return {
    source,
    host: hostFromLabels(labels),
    alertname: labels.alertname ?? "",
    status: alert.status,
    severity: severityFromLabels(labels),
    environment: environmentFromLabels(labels),
    fingerprint: alert.fingerprint ?? labelFingerprint(labels),
    startsAt: utcMillis(alert.startsAt),
    value,
    consecutiveFailures: consecutive,
    summary: annotations.summary ?? annotations.description,
    labels: { ...labels },
  };
}

/**
 * Alertmanager's fingerprint is a hash of the label set; senders that predate it (or the generic
 * format) get the same idea here, so one alert keeps one identity across deliveries.
 */
export function labelFingerprint(labels: Labels): string {
  const canonical = Object.keys(labels)
    .sort()
    .map((name) => `${name}=${JSON.stringify(labels[name])}`)
    .join(",");
  return bytesToHex(sha256(utf8ToBytes(canonical))).slice(0, 16);
}

/** Alertmanager sends nanoseconds and Grafana local offsets: compare episodes in UTC milliseconds. */
function utcMillis(iso: string): string {
  return new Date(iso).toISOString();
}

import { describe, expect, it } from "vitest";
import { isRewindError } from "../../../shared/errors.ts";
import amErrorRate from "../../../test/fixtures/alerts/alertmanager-error-rate-firing.json" with { type: "json" };
import amHealth from "../../../test/fixtures/alerts/alertmanager-health-firing.json" with { type: "json" };
import amLegacy from "../../../test/fixtures/alerts/alertmanager-legacy-no-fingerprint.json" with { type: "json" };
import amResolved from "../../../test/fixtures/alerts/alertmanager-resolved.json" with { type: "json" };
import amStaging from "../../../test/fixtures/alerts/alertmanager-staging.json" with { type: "json" };
import genericCritical from "../../../test/fixtures/alerts/generic-critical.json" with { type: "json" };
import grafanaFiring from "../../../test/fixtures/alerts/grafana-firing.json" with { type: "json" };
import grafanaResolved from "../../../test/fixtures/alerts/grafana-resolved.json" with { type: "json" };
import { labelFingerprint, signalsFromAlertmanager, signalsFromGeneric, signalsFromGrafana } from "./normalize.ts";

const receivedAt = new Date("2026-11-25T12:00:00Z");

function caughtFrom(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  return undefined;
}

describe("normalizing real payloads", () => {
  it.each([
    [
      "Alertmanager health checks",
      () => signalsFromAlertmanager(amHealth),
      {
        source: "alertmanager",
        host: "app-1",
        alertname: "HealthCheckFailures",
        status: "firing",
        severity: "page",
        environment: "production",
        fingerprint: "4f2e1c9a0b7d3e61",
        startsAt: "2026-11-25T10:14:03.739Z",
        consecutiveFailures: 3,
        summary: "backend on app-1 failed 3 consecutive health checks",
      },
    ],
    [
      "Alertmanager error rate (instance label, env=prod, value annotation)",
      () => signalsFromAlertmanager(amErrorRate),
      { host: "app-2", environment: "prod", value: 0.1423, startsAt: "2026-11-25T10:20:00.000Z", severity: "warning" },
    ],
    ["Alertmanager resolved", () => signalsFromAlertmanager(amResolved), { status: "resolved", host: "app-1" }],
    [
      "Alertmanager staging (rewind_host label)",
      () => signalsFromAlertmanager(amStaging),
      { host: "staging-1", environment: "staging", consecutiveFailures: 5, severity: "critical" },
    ],
    [
      "Grafana firing (values, +02:00 offset)",
      () => signalsFromGrafana(grafanaFiring),
      {
        source: "grafana",
        host: "app-4",
        alertname: "HighErrorRate",
        value: 17.5,
        fingerprint: "bc97ff14869b13e3",
        startsAt: "2026-11-25T10:05:00.157Z",
      },
    ],
    ["Grafana resolved (values null)", () => signalsFromGrafana(grafanaResolved), { status: "resolved", value: undefined }],
    [
      "generic",
      () => signalsFromGeneric(genericCritical, receivedAt),
      {
        source: "generic",
        host: "app-5",
        alertname: "PostDeployVerificationFailed",
        severity: "critical",
        environment: "production",
        fingerprint: "deploy-20261125-1145",
        startsAt: "2026-11-25T11:45:12.000Z",
      },
    ],
  ])("%s", (_name, normalize, expected) => {
    const signals = normalize();
    expect(signals).toHaveLength(1);
    expect(signals[0]).toMatchObject(expected);
  });

  it("derives a stable fingerprint from the labels when an old Alertmanager sends none", () => {
    const [first] = signalsFromAlertmanager(amLegacy);
    const [again] = signalsFromAlertmanager(structuredClone(amLegacy));
    expect(first?.fingerprint).toMatch(/^[0-9a-f]{16}$/);
    expect(first?.fingerprint).toBe(again?.fingerprint);
    expect(first).toMatchObject({ host: "app-3", alertname: "DeploymentFailed", startsAt: "2018-08-03T07:52:26.739Z" });
    expect(labelFingerprint({ b: "2", a: "1" })).toBe(labelFingerprint({ a: "1", b: "2" }));
    expect(labelFingerprint({ a: "1" })).not.toBe(labelFingerprint({ a: "2" }));
  });

  it("takes Grafana's valueString when values is absent", () => {
    const alert = { ...grafanaFiring.alerts[0], values: undefined, valueString: "[ var='B' labels={} value=12.5 ]" };
    const [signal] = signalsFromGrafana({ ...grafanaFiring, alerts: [alert] });
    expect(signal?.value).toBe(12.5);
  });

  it("keeps every alert of a group, each with its own identity", () => {
    const second = { ...amHealth.alerts[0], labels: { ...amHealth.alerts[0]?.labels, host: "app-9" }, fingerprint: "ffff000011112222" };
    const signals = signalsFromAlertmanager({ ...amHealth, alerts: [...amHealth.alerts, second] });
    expect(signals.map((signal) => [signal.host, signal.fingerprint])).toEqual([
      ["app-1", "4f2e1c9a0b7d3e61"],
      ["app-9", "ffff000011112222"],
    ]);
  });

  it("accepts fields the vendors add in later releases", () => {
    const [signal] = signalsFromAlertmanager({ ...amHealth, newTopLevelField: { x: 1 } });
    expect(signal?.host).toBe("app-1");
  });

  it("uses the receipt time when the generic alert has no startsAt", () => {
    const { startsAt: _omitted, ...rest } = genericCritical;
    const [signal] = signalsFromGeneric(rest, receivedAt);
    expect(signal?.startsAt).toBe("2026-11-25T12:00:00.000Z");
  });

  it.each([
    ["Alertmanager with the wrong version", () => signalsFromAlertmanager({ ...amHealth, version: "3" }), "version"],
    [
      "Alertmanager alert without labels",
      () => signalsFromAlertmanager({ ...amHealth, alerts: [{ status: "firing", startsAt: "2026-11-25T10:00:00Z" }] }),
      "alerts.0.labels",
    ],
    ["Grafana with a bad status", () => signalsFromGrafana({ ...grafanaFiring, status: "pending" }), "status"],
    [
      "Grafana with a bad startsAt",
      () => signalsFromGrafana({ ...grafanaFiring, alerts: [{ ...grafanaFiring.alerts[0], startsAt: "yesterday" }] }),
      "alerts.0.startsAt",
    ],
    ["generic with an unknown field", () => signalsFromGeneric({ ...genericCritical, command: "rm -rf /" }, receivedAt), ""],
    ["generic with a bad host", () => signalsFromGeneric({ ...genericCritical, host: "App 5" }, receivedAt), "host"],
    ["not an object", () => signalsFromAlertmanager("firing"), ""],
  ])("%s is BAD_REQUEST naming the field", (_name, run, field) => {
    const error = caughtFrom(run);
    expect(isRewindError(error, "BAD_REQUEST")).toBe(true);
    if (isRewindError(error)) expect(error.details?.field).toBe(field);
  });
});

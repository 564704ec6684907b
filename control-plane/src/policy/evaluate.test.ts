import { describe, expect, it } from "vitest";
import amHealth from "../../../test/fixtures/alerts/alertmanager-health-firing.json" with { type: "json" };
import genericCritical from "../../../test/fixtures/alerts/generic-critical.json" with { type: "json" };
import grafanaFiring from "../../../test/fixtures/alerts/grafana-firing.json" with { type: "json" };
import { defaultAlertPolicyConfig } from "./config.ts";
import { evaluateSignals } from "./evaluate.ts";
import { signalsFromAlertmanager, signalsFromGeneric, signalsFromGrafana } from "./normalize.ts";
import { emptyPolicyState } from "./state.ts";

const now = new Date("2026-11-25T12:00:00Z");

describe("evaluating a whole delivery", () => {
  it("starts one rollback per host even when one payload names the host twice", () => {
    const [first] = amHealth.alerts;
    const second = { ...first, labels: { ...first?.labels, service: "frontend" }, fingerprint: "9c0ffee000000001" };
    const signals = signalsFromAlertmanager({ ...amHealth, alerts: [first, second] });

    const { decisions, state } = evaluateSignals(signals, emptyPolicyState(), defaultAlertPolicyConfig, now);

    expect(decisions.map(({ decision }) => [decision.host, decision.code])).toEqual([
      ["app-1", "HEALTH_CHECK_FAILURES"],
      ["app-1", "IN_FLIGHT"],
    ]);
    expect(state.inFlightHosts).toEqual(["app-1"]);
  });

  it.each([
    ["Alertmanager v4", () => signalsFromAlertmanager(amHealth), "app-1", "HEALTH_CHECK_FAILURES"],
    ["Grafana", () => signalsFromGrafana(grafanaFiring), "app-4", "ERROR_RATE"],
    ["generic", () => signalsFromGeneric(genericCritical, now), "app-5", "VERIFY_FAILED"],
  ])("a %s fixture starts one rollback of the host it names", (_name, signals, host, code) => {
    const { decisions } = evaluateSignals(signals(), emptyPolicyState(), defaultAlertPolicyConfig, now);
    expect(decisions.map(({ decision }) => decision)).toEqual([
      expect.objectContaining({ decision: "rollback", host, code }),
    ]);
  });
});

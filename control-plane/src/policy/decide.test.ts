import { describe, expect, it } from "vitest";
import type { AlertDecision, AlertSignal } from "../../../shared/schemas/alerts.ts";
import amHealth from "../../../test/fixtures/alerts/alertmanager-health-firing.json" with { type: "json" };
import { type AlertPolicyConfig, defaultAlertPolicyConfig, parseAlertPolicyConfig } from "./config.ts";
import { decide, episodeKey } from "./decide.ts";
import { signalsFromAlertmanager } from "./normalize.ts";
import { applyDecision, emptyPolicyState, markFinished, markInFlight, markPersonActed, type PolicyState, policyState } from "./state.ts";

const now = new Date("2026-11-25T12:00:00Z");
const minutesAgo = (minutes: number): string => new Date(now.getTime() - minutes * 60_000).toISOString();
const minutesLater = (minutes: number): Date => new Date(now.getTime() + minutes * 60_000);

function signal(overrides: Partial<AlertSignal> = {}): AlertSignal {
  return {
    source: "alertmanager",
    host: "app-1",
    alertname: "HealthCheckFailures",
    status: "firing",
    severity: "page",
    environment: "production",
    fingerprint: "4f2e1c9a0b7d3e61",
    startsAt: "2026-11-25T11:50:00.000Z",
    consecutiveFailures: 3,
    labels: {},
    ...overrides,
  };
}

function state(overrides: Partial<PolicyState> = {}): PolicyState {
  return { ...emptyPolicyState(), ...overrides };
}

const episodeOfDefault = episodeKey(signal());

describe("decide: one signal against one state", () => {
  it.each<[string, Partial<AlertSignal>, PolicyState, Partial<AlertPolicyConfig>, AlertDecision["decision"], AlertDecision["code"]]>([
    ["3 consecutive health-check failures", {}, state(), {}, "rollback", "HEALTH_CHECK_FAILURES"],
    ["5 consecutive health-check failures", { consecutiveFailures: 5 }, state(), {}, "rollback", "HEALTH_CHECK_FAILURES"],
    ["2 consecutive health-check failures", { consecutiveFailures: 2 }, state(), {}, "none", "BELOW_THRESHOLD"],
    ["health-check alert without a count (the rule holds the threshold)", { consecutiveFailures: undefined }, state(), {}, "rollback", "HEALTH_CHECK_FAILURES"],
    ["a consecutive_failures label on another alert", { alertname: "BackendDown", consecutiveFailures: 4 }, state(), {}, "rollback", "HEALTH_CHECK_FAILURES"],
    ["error rate 14.2 % as a ratio", { alertname: "HighErrorRate", consecutiveFailures: undefined, value: 0.142 }, state(), {}, "rollback", "ERROR_RATE"],
    ["error rate 17.5 % as percent", { alertname: "HighErrorRate", consecutiveFailures: undefined, value: 17.5 }, state(), {}, "rollback", "ERROR_RATE"],
    ["error rate 8 %", { alertname: "HighErrorRate", consecutiveFailures: undefined, value: 0.08 }, state(), {}, "none", "BELOW_THRESHOLD"],
    ["error rate exactly 10 % (not above)", { alertname: "HighErrorRate", consecutiveFailures: undefined, value: 10 }, state(), {}, "none", "BELOW_THRESHOLD"],
    ["error-rate alert without a value", { alertname: "HighErrorRate", consecutiveFailures: undefined }, state(), {}, "rollback", "ERROR_RATE"],
    ["deployment script failure", { alertname: "DeploymentFailed", consecutiveFailures: undefined }, state(), {}, "rollback", "DEPLOY_FAILED"],
    ["verification failure", { alertname: "PostDeployVerificationFailed", consecutiveFailures: undefined }, state(), {}, "rollback", "VERIFY_FAILED"],
    ["infra/'s verification alert", { alertname: "DeploymentVerificationFailed", consecutiveFailures: undefined }, state(), {}, "rollback", "VERIFY_FAILED"],
    [
      "a renamed alert carrying rewind_trigger=error-rate",
      { alertname: "CheckoutErrors", consecutiveFailures: undefined, value: 0.3, labels: { rewind_trigger: "error-rate" } },
      state(),
      {},
      "rollback",
      "ERROR_RATE",
    ],
    [
      "a renamed alert carrying rewind_trigger=deploy-failure",
      { alertname: "ShipItBroke", consecutiveFailures: undefined, labels: { rewind_trigger: "deploy-failure" } },
      state(),
      {},
      "rollback",
      "DEPLOY_FAILED",
    ],
    [
      "any alert with severity critical",
      { alertname: "DiskFull", consecutiveFailures: undefined, severity: "critical" },
      state(),
      {},
      "rollback",
      "SEVERITY_CRITICAL",
    ],
    ["critical severity overrides a count below threshold", { consecutiveFailures: 1, severity: "critical" }, state(), {}, "rollback", "SEVERITY_CRITICAL"],
    ["an unknown warning", { alertname: "DiskFull", consecutiveFailures: undefined, severity: "warning" }, state(), {}, "none", "NOT_A_TRIGGER"],
    ["a resolved alert", { status: "resolved" }, state(), {}, "none", "RESOLVED"],
    ["no host in the labels", { host: null }, state(), {}, "none", "NO_HOST"],
    ["a staging alert, even critical", { environment: "staging", severity: "critical" }, state(), {}, "none", "NON_PRODUCTION"],
    ["env=prod", { environment: "prod" }, state(), {}, "rollback", "HEALTH_CHECK_FAILURES"],
    ["no environment label", { environment: undefined }, state(), {}, "none", "NON_PRODUCTION"],
    [
      "no environment label where unlabelled means production",
      { environment: undefined },
      state(),
      { unlabelledEnvironment: "production" },
      "rollback",
      "HEALTH_CHECK_FAILURES",
    ],
    ["a custom production name", { environment: "production" }, state(), { productionEnvironments: ["live"] }, "none", "NON_PRODUCTION"],
    ["a repeat of an episode that already rolled back", {}, state({ episodes: { [episodeOfDefault]: minutesAgo(1) } }), {}, "none", "DUPLICATE_EPISODE"],
    ["a rollback already in flight", {}, state({ inFlightHosts: ["app-1"] }), {}, "none", "IN_FLIGHT"],
    ["another host in flight", {}, state({ inFlightHosts: ["app-2"] }), {}, "rollback", "HEALTH_CHECK_FAILURES"],
    ["a new episode inside the cooldown", {}, state({ hosts: { "app-1": { lastAutomaticAt: minutesAgo(10), streak: 1 } } }), {}, "none", "COOLDOWN"],
    [
      "a new episode after the cooldown",
      {},
      state({ hosts: { "app-1": { lastAutomaticAt: minutesAgo(31), streak: 1 } } }),
      {},
      "rollback",
      "HEALTH_CHECK_FAILURES",
    ],
    [
      "a shorter configured cooldown",
      {},
      state({ hosts: { "app-1": { lastAutomaticAt: minutesAgo(10), streak: 1 } } }),
      { cooldownMinutes: 5 },
      "rollback",
      "HEALTH_CHECK_FAILURES",
    ],
    ["2 automatic rollbacks in a row already", {}, state({ hosts: { "app-1": { lastAutomaticAt: minutesAgo(120), streak: 2 } } }), {}, "none", "STREAK_LIMIT"],
    [
      "a streak cleared by a person",
      {},
      state({ hosts: { "app-1": { lastAutomaticAt: minutesAgo(120), streak: 0 } } }),
      {},
      "rollback",
      "HEALTH_CHECK_FAILURES",
    ],
    [
      "3 other hosts tripped inside the breaker window",
      {},
      state({
        recentTrips: [
          { host: "app-7", at: minutesAgo(9) },
          { host: "app-8", at: minutesAgo(5) },
          { host: "app-9", at: minutesAgo(1) },
        ],
      }),
      {},
      "none",
      "FLEET_BREAKER",
    ],
    [
      "3 trips, but one host twice",
      {},
      state({
        recentTrips: [
          { host: "app-7", at: minutesAgo(9) },
          { host: "app-7", at: minutesAgo(5) },
          { host: "app-9", at: minutesAgo(1) },
        ],
      }),
      {},
      "rollback",
      "HEALTH_CHECK_FAILURES",
    ],
    [
      "3 trips that left the breaker window",
      {},
      state({
        recentTrips: [
          { host: "app-7", at: minutesAgo(15) },
          { host: "app-8", at: minutesAgo(12) },
          { host: "app-9", at: minutesAgo(11) },
        ],
      }),
      {},
      "rollback",
      "HEALTH_CHECK_FAILURES",
    ],
  ])("%s", (_name, overrides, given, configOverrides, decision, code) => {
    const config = parseAlertPolicyConfig(configOverrides);
    const result = decide(signal(overrides), given, config, now);
    expect(result).toMatchObject({ decision, code, episodeKey: episodeKey(signal(overrides)) });
    expect(result.reason.length).toBeGreaterThan(10);
  });

  it("explains itself in words an operator can act on", () => {
    const cooldown = decide(signal(), state({ hosts: { "app-1": { lastAutomaticAt: minutesAgo(10), streak: 1 } } }), defaultAlertPolicyConfig, now);
    expect(cooldown.reason).toContain("cooldown of 30 min runs until 2026-11-25T12:20:00.000Z");
    const staging = decide(signal({ environment: "staging" }), state(), defaultAlertPolicyConfig, now);
    expect(staging.reason).toBe("environment staging is not production: automatic rollback is for production only");
    const errorRate = decide(signal({ alertname: "HighErrorRate", consecutiveFailures: undefined, value: 0.1423 }), state(), defaultAlertPolicyConfig, now);
    expect(errorRate.reason).toBe("error rate 14.2 % above 10 % over 10 minutes");
  });

  it("keys episodes on fingerprint and start, not on the delivery", () => {
    expect(episodeKey(signal())).toBe("4f2e1c9a0b7d3e61@2026-11-25T11:50:00.000Z");
    expect(episodeKey(signal({ startsAt: "2026-11-25T13:00:00.000Z" }))).not.toBe(episodeOfDefault);
  });
});

describe("decide over evolving state", () => {
  const config = defaultAlertPolicyConfig;

  function deliver(current: PolicyState, delivered: AlertSignal, at: Date): { next: PolicyState; decision: AlertDecision } {
    const decision = decide(delivered, current, config, at);
    return { next: applyDecision(current, decision, at, config), decision };
  }

  it("turns a storm of 1,000 deliveries of one episode into exactly one rollback", () => {
    let current = emptyPolicyState();
    const codes = new Map<string, number>();
    for (let delivery = 0; delivery < 1000; delivery += 1) {
      // HA Alertmanager pairs resend the same alert with their own receiver and group key.
      const body = { ...amHealth, receiver: delivery % 2 === 0 ? "rewind" : "rewind-ha", groupKey: `{}:{replica="${delivery % 2}"}` };
      const [delivered] = signalsFromAlertmanager(body);
      if (delivered === undefined) throw new TypeError("fixture holds one alert");
      // Half-way through, the rollback finishes: the episode must still not start a second one.
      if (delivery === 500) current = markFinished(current, "app-1");
      const result = deliver(current, delivered, new Date(now.getTime() + delivery * 10));
      current = result.next;
      codes.set(result.decision.code, (codes.get(result.decision.code) ?? 0) + 1);
    }
    expect(Object.fromEntries(codes)).toEqual({ HEALTH_CHECK_FAILURES: 1, DUPLICATE_EPISODE: 999 });
  });

  it("lets a new episode through only after the cooldown, and stops a streak until a person acts", () => {
    let current = emptyPolicyState();
    const episodeAt = (minutes: number) => signal({ startsAt: minutesLater(minutes).toISOString() });

    let step = deliver(current, episodeAt(0), minutesLater(0));
    expect(step.decision.code).toBe("HEALTH_CHECK_FAILURES");
    current = markFinished(step.next, "app-1");

    step = deliver(current, episodeAt(10), minutesLater(10));
    expect(step.decision.code).toBe("COOLDOWN");
    current = step.next;

    step = deliver(current, episodeAt(40), minutesLater(40));
    expect(step.decision.code).toBe("HEALTH_CHECK_FAILURES");
    current = markFinished(step.next, "app-1");

    step = deliver(current, episodeAt(80), minutesLater(80));
    expect(step.decision.code).toBe("STREAK_LIMIT");
    current = markPersonActed(step.next, "app-1");

    step = deliver(current, episodeAt(81), minutesLater(81));
    expect(step.decision.code).toBe("HEALTH_CHECK_FAILURES");
  });

  it("holds an operator's rollback against alerts until it finishes", () => {
    const current = markInFlight(emptyPolicyState(), "app-1");
    expect(deliver(current, signal(), now).decision.code).toBe("IN_FLIGHT");
    expect(deliver(markFinished(current, "app-1"), signal(), now).decision.code).toBe("HEALTH_CHECK_FAILURES");
  });

  it("opens the fleet breaker when many hosts trip at once, and closes it after the window", () => {
    let current = emptyPolicyState();
    const outcomes: string[] = [];
    for (const [index, host] of ["app-1", "app-2", "app-3", "app-4"].entries()) {
      const step = deliver(current, signal({ host, fingerprint: `fp-${host}` }), new Date(now.getTime() + index * 1000));
      current = step.next;
      outcomes.push(step.decision.code);
    }
    expect(outcomes).toEqual(["HEALTH_CHECK_FAILURES", "HEALTH_CHECK_FAILURES", "HEALTH_CHECK_FAILURES", "FLEET_BREAKER"]);
    const later = deliver(current, signal({ host: "app-4", fingerprint: "fp-app-4" }), minutesLater(11));
    expect(later.decision.code).toBe("HEALTH_CHECK_FAILURES");
  });

  it("forgets trips and episodes once they are out of every window", () => {
    const first = deliver(emptyPolicyState(), signal(), now).next;
    expect(first.recentTrips).toHaveLength(1);
    expect(Object.keys(first.episodes)).toEqual([episodeOfDefault]);
    const dayLater = new Date(now.getTime() + 25 * 60 * 60_000);
    const pruned = applyDecision(first, decide(signal({ status: "resolved" }), first, config, dayLater), dayLater, config);
    expect(pruned.recentTrips).toEqual([]);
    expect(pruned.episodes).toEqual({});
    expect(pruned.hosts["app-1"]?.streak).toBe(1);
  });

  it("survives a JSON round trip through storage", () => {
    const stored = JSON.parse(JSON.stringify(deliver(emptyPolicyState(), signal(), now).next)) as unknown;
    const restored = policyState.parse(stored);
    expect(decide(signal(), restored, config, now).code).toBe("DUPLICATE_EPISODE");
  });
});

// The alert policy: one signal, the remembered state and the config in, one decision with a stable
// code and an operator-readable reason out. Checks run from "is this a trigger at all" to the
// fleet-wide safety caps, so the reason recorded is the most basic one that applies.
import type { AlertDecision, AlertSignal, DecisionCode } from "../../../shared/schemas/alerts.ts";
import type { AlertPolicyConfig } from "./config.ts";
import type { PolicyState } from "./state.ts";
import { matchTrigger } from "./triggers.ts";

/** fingerprint@startsAt, not Alertmanager's groupKey: a group holds many alerts and HA pairs resend it. */
export function episodeKey(signal: AlertSignal): string {
  return `${signal.fingerprint}@${signal.startsAt}`;
}

export function decide(signal: AlertSignal, state: PolicyState, config: AlertPolicyConfig, now: Date): AlertDecision {
  const key = episodeKey(signal);
  const host = signal.host;
  const none = (code: DecisionCode, reason: string): AlertDecision => ({ decision: "none", code, reason, host, episodeKey: key });

  if (signal.status === "resolved") return none("RESOLVED", `${signal.alertname || "alert"} resolved: nothing to roll back`);
  if (host === null) {
    return none("NO_HOST", "no host label (rewind_host, host or instance) names a Rewind host");
  }
  const environment = signal.environment ?? (config.unlabelledEnvironment === "production" ? undefined : "unlabelled");
  if (environment !== undefined && !config.productionEnvironments.includes(environment)) {
    return none("NON_PRODUCTION", `environment ${environment} is not production: automatic rollback is for production only`);
  }
  const trigger = matchTrigger(signal, config);
  if (!trigger.matched) return none(trigger.code, trigger.reason);

  const decidedAt = state.episodes[key];
  if (decidedAt !== undefined) {
    return none("DUPLICATE_EPISODE", `this alert episode already started a rollback of ${host} at ${decidedAt}`);
  }
  if (state.inFlightHosts.includes(host)) {
    return none("IN_FLIGHT", `a rollback of ${host} is already in flight`);
  }
  const memory = state.hosts[host];
  if (memory?.lastAutomaticAt !== undefined) {
    const until = Date.parse(memory.lastAutomaticAt) + config.cooldownMinutes * 60_000;
    if (now.getTime() < until) {
      return none(
        "COOLDOWN",
        `${host} was rolled back automatically at ${memory.lastAutomaticAt}; cooldown of ${config.cooldownMinutes} min runs until ${new Date(until).toISOString()}`,
      );
    }
  }
  if (memory !== undefined && memory.streak >= config.maxAutomaticStreak) {
    return none("STREAK_LIMIT", `${host} was rolled back automatically ${memory.streak} times in a row; a person must act before the next one`);
  }
  const windowStart = now.getTime() - config.breakerWindowMinutes * 60_000;
  const trippedHosts = new Set(state.recentTrips.filter((trip) => Date.parse(trip.at) > windowStart).map((trip) => trip.host));
  if (trippedHosts.size >= config.breakerHosts) {
    return none(
      "FLEET_BREAKER",
      `${trippedHosts.size} hosts were rolled back automatically in the last ${config.breakerWindowMinutes} min: fleet breaker open, a person must decide`,
    );
  }
  return { decision: "rollback", code: trigger.code, reason: trigger.reason, host, episodeKey: key };
}

// The facts the policy remembers between deliveries, as plain data the caller stores (D1 / Durable
// Object) and passes back in: in-flight hosts, streaks, fleet trips, decided episodes. Every
// transition returns a new state; nothing here does I/O or reads the clock.
import * as z from "../../../shared/schemas/zod.ts";
import type { AlertDecision } from "../../../shared/schemas/alerts.ts";
import { hostName, isoTime } from "../../../shared/schemas/common.ts";
import type { AlertPolicyConfig } from "./config.ts";

export const policyState = z.strictObject({
  /** Hosts with a rollback queued or running, whoever asked for it. */
  inFlightHosts: z.array(hostName),
  hosts: z.record(
    hostName,
    z.strictObject({
      lastAutomaticAt: z.optional(isoTime),
      /** Automatic rollbacks in a row since a person last acted on this host. */
      streak: z.number().check(z.int(), z.nonnegative()),
    }),
  ),
  /** Automatic rollbacks across the fleet, oldest first, for the breaker. */
  recentTrips: z.array(z.strictObject({ host: hostName, at: isoTime })),
  /** Episode key → when it started a rollback. */
  episodes: z.record(z.string(), isoTime),
});
export type PolicyState = Readonly<z.output<typeof policyState>>;

export function emptyPolicyState(): PolicyState {
  return { inFlightHosts: [], hosts: {}, recentTrips: [], episodes: {} };
}

/** Records a decision's consequences; a "none" decision changes nothing but the pruning. */
export function applyDecision(state: PolicyState, decision: AlertDecision, now: Date, config: AlertPolicyConfig): PolicyState {
  const pruned = prune(state, now, config);
  if (decision.decision !== "rollback" || decision.host === null) return pruned;
  const host = decision.host;
  const at = now.toISOString();
  const previous = pruned.hosts[host];
  return {
    inFlightHosts: pruned.inFlightHosts.includes(host) ? pruned.inFlightHosts : [...pruned.inFlightHosts, host],
    hosts: { ...pruned.hosts, [host]: { lastAutomaticAt: at, streak: (previous?.streak ?? 0) + 1 } },
    recentTrips: [...pruned.recentTrips, { host, at }],
    episodes: { ...pruned.episodes, [decision.episodeKey]: at },
  };
}

/** A rollback of the host was queued by anyone (an operator too): alerts must not start another. */
export function markInFlight(state: PolicyState, host: string): PolicyState {
  return state.inFlightHosts.includes(host) ? state : { ...state, inFlightHosts: [...state.inFlightHosts, host] };
}

/** The host's rollback ended (succeeded, failed, undone, cancelled, expired). */
export function markFinished(state: PolicyState, host: string): PolicyState {
  return { ...state, inFlightHosts: state.inFlightHosts.filter((name) => name !== host) };
}

/** A person acted on the host (manual rollback, deploy, acknowledgement): automatic rollbacks may resume. */
export function markPersonActed(state: PolicyState, host: string): PolicyState {
  const entry = state.hosts[host];
  if (entry === undefined || entry.streak === 0) return state;
  return { ...state, hosts: { ...state.hosts, [host]: { ...entry, streak: 0 } } };
}

function prune(state: PolicyState, now: Date, config: AlertPolicyConfig): PolicyState {
  const tripFloor = now.getTime() - config.breakerWindowMinutes * 60_000;
  const episodeFloor = now.getTime() - config.episodeMemoryMinutes * 60_000;
  return {
    ...state,
    recentTrips: state.recentTrips.filter((trip) => Date.parse(trip.at) > tripFloor),
    episodes: Object.fromEntries(Object.entries(state.episodes).filter(([, at]) => Date.parse(at) > episodeFloor)),
  };
}

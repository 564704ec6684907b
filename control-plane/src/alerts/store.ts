// D1 reads and writes of the alert webhooks: the policy state one host's decision needs, the
// atomic claim of an alert episode (INSERT … ON CONFLICT DO NOTHING, so of a thousand concurrent
// deliveries exactly one records and acts), the per-host streak, and the decision list.
import { and, desc, eq, gt, inArray, type SQL, sql } from "drizzle-orm";
import type { AlertDecision, AlertSignal } from "../../../shared/schemas/alerts.ts";
import { database } from "../db/client.ts";
import { rollbacks } from "../db/schema.ts";
import type { Env } from "../env.ts";
import type { AlertPolicyConfig } from "../policy/config.ts";
import type { PolicyState } from "../policy/state.ts";
import { inFlightRollbackStates } from "../../../shared/schemas/rollback-states.ts";
import { alertDecisions, alertHostState } from "./schema.ts";

export type DecisionRow = typeof alertDecisions.$inferSelect;

/** Everything decide() reads about `host`, as of now. */
export async function policyStateFor(env: Env, host: string | null, config: AlertPolicyConfig, now: number): Promise<PolicyState> {
  const db = database(env);
  const windowStart = now - config.breakerWindowMinutes * 60_000;
  const trips = await db
    .select({ host: alertDecisions.host, at: alertDecisions.receivedAt })
    .from(alertDecisions)
    .where(and(eq(alertDecisions.decision, "rollback"), gt(alertDecisions.receivedAt, windowStart)))
    .orderBy(alertDecisions.receivedAt);
  const recentTrips = trips.flatMap((trip) => (trip.host === null ? [] : [{ host: trip.host, at: new Date(trip.at).toISOString() }]));
  if (host === null) return { inFlightHosts: [], hosts: {}, recentTrips, episodes: {} };
  const inFlight = await db
    .select({ id: rollbacks.id })
    .from(rollbacks)
    .where(and(eq(rollbacks.host, host), inArray(rollbacks.state, [...inFlightRollbackStates])))
    .limit(1);
  const [memory] = await db.select().from(alertHostState).where(eq(alertHostState.host, host)).limit(1);
  return {
    inFlightHosts: inFlight.length > 0 ? [host] : [],
    hosts:
      memory === undefined
        ? {}
        : {
            [host]: {
              streak: memory.streak,
              ...(memory.lastAutomaticAt === null ? {} : { lastAutomaticAt: new Date(memory.lastAutomaticAt).toISOString() }),
            },
          },
    recentTrips,
    episodes: {},
  };
}

export interface Claim {
  id: string;
  signal: AlertSignal;
  decision: AlertDecision;
  receivedAt: number;
}

export type ClaimResult = "claimed" | "repeat" | "breaker";

/**
 * Records the episode's decision if this is its first delivery, in one statement so concurrent
 * deliveries cannot both claim it. A `rollback` decision is only recorded while fewer than
 * `breakerHosts` hosts have rollback decisions inside the breaker window: when many hosts trip at
 * once, their concurrent deliveries cannot all slip past the fleet breaker.
 */
export async function claimEpisode(env: Env, claim: Claim, config: AlertPolicyConfig): Promise<ClaimResult> {
  const { signal, decision } = claim;
  const values = [
    claim.id,
    claim.receivedAt,
    signal.source,
    signal.host,
    signal.alertname,
    signal.status,
    decision.episodeKey,
    decision.decision,
    decision.code,
    decision.reason,
    claim.receivedAt,
    JSON.stringify(signal),
  ];
  const guarded = decision.decision === "rollback";
  const statement = `INSERT INTO alert_decisions
      (id, received_at, source, host, alertname, status, episode_key, decision, reason_code, reason, deliveries, last_delivery_at, payload)
    SELECT ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?
    WHERE ${guarded ? "(SELECT COUNT(DISTINCT host) FROM alert_decisions WHERE decision = 'rollback' AND received_at > ?) < ?" : "1"}
    ON CONFLICT DO NOTHING
    RETURNING id`;
  const bindings = guarded ? [...values, claim.receivedAt - config.breakerWindowMinutes * 60_000, config.breakerHosts] : values;
  const inserted = await env.DB.prepare(statement)
    .bind(...bindings)
    .all();
  if (inserted.results.length > 0) return "claimed";
  return (await findEpisode(env, decision.episodeKey, signal.status)) === undefined ? "breaker" : "repeat";
}

/** A repeated delivery: counted on the episode's row, which is returned. */
export async function countRepeat(env: Env, episodeKey: string, status: string, at: number): Promise<DecisionRow | undefined> {
  const [row] = await database(env)
    .update(alertDecisions)
    .set({ deliveries: sql`${alertDecisions.deliveries} + 1`, lastDeliveryAt: at })
    .where(and(eq(alertDecisions.episodeKey, episodeKey), eq(alertDecisions.status, status)))
    .returning();
  return row;
}

export async function findEpisode(env: Env, episodeKey: string, status: string): Promise<DecisionRow | undefined> {
  const [row] = await database(env)
    .select()
    .from(alertDecisions)
    .where(and(eq(alertDecisions.episodeKey, episodeKey), eq(alertDecisions.status, status)))
    .limit(1);
  return row;
}

export async function settleDecision(
  env: Env,
  id: string,
  outcome: { decision?: "rollback" | "none"; reasonCode?: string; reason?: string; rollbackId?: string },
): Promise<void> {
  const changes: Partial<DecisionRow> = {
    ...(outcome.decision === undefined ? {} : { decision: outcome.decision }),
    ...(outcome.reasonCode === undefined ? {} : { reasonCode: outcome.reasonCode }),
    ...(outcome.reason === undefined ? {} : { reason: outcome.reason }),
    ...(outcome.rollbackId === undefined ? {} : { rollbackId: outcome.rollbackId }),
  };
  if (Object.keys(changes).length === 0) return;
  await database(env).update(alertDecisions).set(changes).where(eq(alertDecisions.id, id));
}

/** An automatic rollback of `host` started: the cooldown restarts and the streak grows. */
export async function recordAutomaticRollback(env: Env, host: string, at: number): Promise<number> {
  const [row] = await database(env)
    .insert(alertHostState)
    .values({ host, lastAutomaticAt: at, streak: 1 })
    .onConflictDoUpdate({
      target: alertHostState.host,
      set: { lastAutomaticAt: at, streak: sql`${alertHostState.streak} + 1` },
    })
    .returning({ streak: alertHostState.streak });
  return row?.streak ?? 1;
}

/** A person acted on the host (manual rollback, explicit reset): automatic rollbacks may resume. */
export async function resetStreak(env: Env, host: string, at: number, by: string): Promise<number> {
  const db = database(env);
  const [before] = await db.select({ streak: alertHostState.streak }).from(alertHostState).where(eq(alertHostState.host, host)).limit(1);
  await db
    .insert(alertHostState)
    .values({ host, streak: 0, resetAt: at, resetBy: by })
    .onConflictDoUpdate({ target: alertHostState.host, set: { streak: 0, resetAt: at, resetBy: by } });
  return before?.streak ?? 0;
}

export async function hostMemory(env: Env, host: string) {
  const [row] = await database(env).select().from(alertHostState).where(eq(alertHostState.host, host)).limit(1);
  return row;
}

export interface DecisionFilter {
  host?: string;
  decision?: "rollback" | "none";
  limit: number;
}

export async function listDecisions(env: Env, filter: DecisionFilter): Promise<DecisionRow[]> {
  const conditions: SQL[] = [];
  if (filter.host !== undefined) conditions.push(eq(alertDecisions.host, filter.host));
  if (filter.decision !== undefined) conditions.push(eq(alertDecisions.decision, filter.decision));
  return database(env)
    .select()
    .from(alertDecisions)
    .where(conditions.length === 0 ? undefined : and(...conditions))
    .orderBy(desc(alertDecisions.receivedAt), desc(alertDecisions.id))
    .limit(filter.limit);
}

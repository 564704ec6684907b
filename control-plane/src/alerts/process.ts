// One webhook delivery, signal by signal: dedupe on the alert episode, decide with the policy
// against the state in D1, record the decision, and on `rollback` ask the host's desk
// (requestRollback, automatic). A repeated delivery only counts on the episode's row. The delivery's
// decisions go into one audit entry, not one each: a delivery can carry ~1,000 alerts.
import { isRewindError } from "../../../shared/errors.ts";
import type { AlertDecision, AlertSignal } from "../../../shared/schemas/alerts.ts";
import type { AuditActor, NewAuditEntry } from "../../../shared/schemas/audit.ts";
import { randomId } from "../../../shared/signing.ts";
import { appendAudit } from "../audit/append.ts";
import type { NotifyEvent } from "../notify/events.ts";
import { notifyLater, type WaitUntil } from "../notify/wiring.ts";
import { decide } from "../policy/decide.ts";
import { requestRollback } from "../rollbacks/worker/request.ts";
import { type AlertsEnv, alertPolicyFor } from "./alerts-env.ts";
import { claimEpisode, countRepeat, policyStateFor, recordAutomaticRollback, settleDecision } from "./store.ts";

export interface SignalOutcome {
  host: string | null;
  alertname: string;
  status: AlertSignal["status"];
  episodeKey: string;
  decision: AlertDecision["decision"];
  code: string;
  reason: string;
  rollbackId?: string;
  /** True when an earlier delivery of this episode already decided. */
  repeat: boolean;
}

/** Skips a person should hear about: the safety caps held an automatic rollback back (and failed requests). */
const notifiedSkips = new Set(["STREAK_LIMIT", "FLEET_BREAKER"]);

export async function processSignals(env: AlertsEnv, signals: readonly AlertSignal[], actor: AuditActor, waitUntil?: WaitUntil): Promise<SignalOutcome[]> {
  const outcomes: SignalOutcome[] = [];
  const decided: Record<string, unknown>[] = [];
  try {
    // In order, not in parallel: the second alert for a host must see the first one's rollback.
    for (const signal of signals) outcomes.push(await processSignal(env, signal, actor, decided, waitUntil));
  } finally {
    // One entry per delivery, with every decision inside (also those made before a failure).
    if (decided.length > 0) await appendAudit(env, deliveryEntry(actor, signals, decided));
  }
  return outcomes;
}

function deliveryEntry(actor: AuditActor, signals: readonly AlertSignal[], decided: Record<string, unknown>[]): NewAuditEntry {
  const hosts = new Set(decided.map((decision) => decision.host));
  const [host] = hosts;
  return {
    actor,
    action: "policy.decisions",
    subject: hosts.size === 1 && typeof host === "string" ? `host:${host}` : `alerts:${signals[0]?.source ?? "delivery"}`,
    details: {
      deliveryId: randomId(),
      source: signals[0]?.source ?? "unknown",
      alerts: signals.length,
      rollbacks: decided.filter((decision) => decision.decision === "rollback").length,
      decisions: decided,
    },
  };
}

async function processSignal(
  env: AlertsEnv,
  signal: AlertSignal,
  actor: AuditActor,
  decided: Record<string, unknown>[],
  waitUntil?: WaitUntil,
): Promise<SignalOutcome> {
  const config = alertPolicyFor(env);
  const now = Date.now();
  const state = await policyStateFor(env, signal.host, config, now);
  let decision = decide(signal, state, config, new Date(now));
  const id = randomId();
  const base = { host: signal.host, alertname: signal.alertname, status: signal.status, episodeKey: decision.episodeKey };

  let claim = await claimEpisode(env, { id, signal, decision, receivedAt: now }, config);
  if (claim === "breaker") {
    // Other hosts' rollbacks were recorded between reading the state and claiming: decide again.
    decision = {
      ...decision,
      decision: "none",
      code: "FLEET_BREAKER",
      reason: `${config.breakerHosts} hosts were rolled back automatically in the last ${config.breakerWindowMinutes} min: fleet breaker open, a person must decide`,
    };
    claim = await claimEpisode(env, { id, signal, decision, receivedAt: now }, config);
  }
  if (claim === "repeat") {
    const row = await countRepeat(env, decision.episodeKey, signal.status, now);
    return {
      ...base,
      decision: "none",
      code: "DUPLICATE_EPISODE",
      reason:
        row === undefined
          ? "a concurrent delivery of this alert episode decided it"
          : `repeat delivery ${row.deliveries} of this alert episode; decided at ${new Date(row.receivedAt).toISOString()}: ${row.reasonCode}`,
      ...(row?.rollbackId == null ? {} : { rollbackId: row.rollbackId }),
      repeat: true,
    };
  }

  let rollbackId: string | undefined;
  let requestError: { code: string; message: string } | undefined;
  if (decision.decision === "rollback" && decision.host !== null) {
    try {
      const started = await requestRollback(env, {
        host: decision.host,
        reason: `${signal.alertname || "alert"}: ${decision.reason}`,
        requestedBy: actor,
        automatic: true,
        source: signal.source,
      });
      rollbackId = started.rollbackId;
      await recordAutomaticRollback(env, decision.host, now);
      await settleDecision(env, id, { rollbackId });
    } catch (error) {
      if (!isRewindError(error)) throw error;
      const running = error.details?.rollbackId;
      if (error.code === "CONFLICT" && typeof running === "string") {
        // Another request (an operator, a concurrent alert) won the host's desk: same as in flight.
        decision = { ...decision, decision: "none", code: "IN_FLIGHT", reason: `a rollback of ${decision.host} is already in flight (${running})` };
        rollbackId = running;
        await settleDecision(env, id, { decision: "none", reasonCode: decision.code, reason: decision.reason, rollbackId });
      } else {
        // Nothing rolls back, so it is no trip for the fleet breaker; the code keeps the trigger.
        requestError = { code: error.code, message: error.message };
        decision = { ...decision, decision: "none", reason: `${decision.reason}; the rollback could not be requested: ${error.message}` };
        await settleDecision(env, id, { decision: "none", reason: decision.reason });
      }
    }
  }

  decided.push({
    decisionId: id,
    host: decision.host,
    alertname: signal.alertname,
    status: signal.status,
    episodeKey: decision.episodeKey,
    decision: decision.decision,
    code: decision.code,
    reason: decision.reason,
    ...(signal.environment === undefined ? {} : { environment: signal.environment }),
    ...(signal.severity === undefined ? {} : { severity: signal.severity }),
    ...(rollbackId === undefined ? {} : { rollbackId }),
    ...(requestError === undefined ? {} : { requestError }),
  });
  if (decision.decision === "rollback" || notifiedSkips.has(decision.code) || requestError !== undefined) {
    const event: NotifyEvent = { type: "decision.automatic", alertname: signal.alertname, decision, ...(rollbackId === undefined ? {} : { rollbackId }) };
    notifyLater(env, [event], waitUntil);
  }
  return {
    ...base,
    decision: decision.decision,
    code: decision.code,
    reason: decision.reason,
    ...(rollbackId === undefined ? {} : { rollbackId }),
    repeat: false,
  };
}

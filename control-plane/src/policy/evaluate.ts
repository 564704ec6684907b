// One webhook delivery carries several alerts: decide them in order, each against the state the
// previous one left, so two alerts for one host in one payload still start one rollback.
import type { AlertDecision, AlertSignal } from "../../../shared/schemas/alerts.ts";
import type { AlertPolicyConfig } from "./config.ts";
import { decide } from "./decide.ts";
import { applyDecision, type PolicyState } from "./state.ts";

export interface Evaluation {
  decisions: Array<{ signal: AlertSignal; decision: AlertDecision }>;
  state: PolicyState;
}

export function evaluateSignals(
  signals: readonly AlertSignal[],
  state: PolicyState,
  config: AlertPolicyConfig,
  now: Date,
): Evaluation {
  let current = state;
  const decisions: Evaluation["decisions"] = [];
  for (const signal of signals) {
    const decision = decide(signal, current, config, now);
    current = applyDecision(current, decision, now, config);
    decisions.push({ signal, decision });
  }
  return { decisions, state: current };
}

// Reconnect delays: exponential growth, capped, with "full jitter" (a uniform draw in [0, ceiling))
// so a thousand agents cut off together do not all dial back in the same instant. Pure functions.

export interface BackoffPolicy {
  /** Ceiling of the first retry's delay. */
  readonly initialMs: number;
  /** No delay ever exceeds this. */
  readonly maxMs: number;
  readonly multiplier: number;
  /** A connection that stayed up this long counts as healthy: the next failure starts from attempt 0. */
  readonly stableAfterMs: number;
}

export const defaultBackoff: BackoffPolicy = Object.freeze({
  initialMs: 500,
  maxMs: 30_000,
  multiplier: 2,
  stableAfterMs: 60_000,
});

export function validateBackoff(policy: BackoffPolicy): BackoffPolicy {
  if (!(policy.initialMs > 0)) throw new TypeError("BackoffPolicy.initialMs must be positive");
  if (policy.maxMs < policy.initialMs) throw new TypeError("BackoffPolicy.maxMs cannot be less than its initialMs");
  if (!(policy.multiplier >= 1)) throw new TypeError("BackoffPolicy.multiplier must be at least 1");
  if (policy.stableAfterMs < 0) throw new TypeError("BackoffPolicy.stableAfterMs cannot be negative");
  return policy;
}

/** The largest delay allowed before retry number `attempt` (0-based). */
export function backoffCeiling(policy: BackoffPolicy, attempt: number): number {
  const grown = policy.initialMs * policy.multiplier ** Math.max(0, attempt);
  return Math.min(policy.maxMs, grown);
}

/** Full jitter: `random` returns [0, 1), as Math.random does; injected so tests are exact. */
export function backoffDelay(policy: BackoffPolicy, attempt: number, random: () => number): number {
  return Math.floor(random() * backoffCeiling(policy, attempt));
}

/**
 * What to do after a connection ended or failed to open. `attempt` counts the consecutive failures
 * so far; `connectedForMs` is how long the socket was open (undefined when it never opened): a
 * stable connection resets the sequence, so one blip after a day online retries almost at once.
 */
export function afterDisconnect(
  policy: BackoffPolicy,
  attempt: number,
  connectedForMs: number | undefined,
  random: () => number,
): { delayMs: number; attempt: number } {
  const current = connectedForMs !== undefined && connectedForMs >= policy.stableAfterMs ? 0 : attempt;
  return { delayMs: backoffDelay(policy, current, random), attempt: current + 1 };
}

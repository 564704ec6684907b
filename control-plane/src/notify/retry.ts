// How often and how patiently a notification is retried: validated data and a pure delay table,
// so the publisher's loop holds no numbers of its own.
import * as z from "../../../shared/schemas/zod.ts";
import { parseOrThrow } from "../../../shared/schemas/zod-error.ts";

export const retryPolicy = z.strictObject({
  /** Total tries, the first included. */
  attempts: z._default(z.number().check(z.int(), z.gte(1), z.lte(10)), 4),
  initialDelayMs: z._default(z.number().check(z.int(), z.nonnegative()), 250),
  maxDelayMs: z._default(z.number().check(z.int(), z.nonnegative()), 4000),
});
export type RetryPolicy = Readonly<z.output<typeof retryPolicy>>;

export function parseRetryPolicy(raw: unknown = {}): RetryPolicy {
  const policy = parseOrThrow(retryPolicy, raw, "notification retry policy", "CONFIG_INVALID");
  if (policy.maxDelayMs < policy.initialDelayMs) {
    throw new TypeError("notification retry policy: maxDelayMs cannot be less than initialDelayMs");
  }
  return Object.freeze(policy);
}

/** Delay before each retry (attempts - 1 entries): doubling from initialDelayMs, capped at maxDelayMs. */
export function retryDelays(policy: RetryPolicy): number[] {
  return Array.from({ length: policy.attempts - 1 }, (_, index) => Math.min(policy.maxDelayMs, policy.initialDelayMs * 2 ** index));
}

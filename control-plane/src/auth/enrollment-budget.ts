// One token may mint so many enrollments a minute (ENROLLMENTS_PER_TOKEN_PER_MINUTE): each is a D1
// row and an audit entry, and an `enroll` token is a machine credential that could otherwise loop.
// Every attempt counts, also one refused for an enrolled host. Past the budget the answer is 429;
// the minute's first refusal is audited in full and the rest folded into one entry with their count,
// as other refusals are (audit/refusals.ts).
import { isRewindError, RewindError } from "../../../shared/errors.ts";
import type { AuditActor } from "../../../shared/schemas/audit.ts";
import { recordRefusal } from "../audit/append.ts";
import { loadConfig } from "../config.ts";
import type { Env } from "../env.ts";

export async function spendEnrollmentBudget(env: Env, actor: AuditActor & { kind: "token" }, address: string | undefined): Promise<void> {
  const limit = loadConfig(env).enrollmentsPerTokenPerMinute;
  const verdict = await env.AUDIT.get(env.AUDIT.idFromName("global")).spend(`enrollments:${actor.tokenId}`, 1, limit);
  if (verdict.allowed) return;
  const entry = {
    actor,
    action: "enrollment.rate-limited",
    subject: `token:${actor.tokenId}`,
    details: { code: "RATE_LIMITED", limitPerMinute: limit },
  };
  try {
    await recordRefusal(env, { entry, address, host: `token:${actor.tokenId}` });
  } catch (error) {
    // The token is known and already answered 429: its refusals are still counted.
    if (!isRewindError(error, "RATE_LIMITED")) throw error;
  }
  throw new RewindError(
    "RATE_LIMITED",
    `token ${actor.tokenId} minted more than ${limit} enrollments this minute (ENROLLMENTS_PER_TOKEN_PER_MINUTE): try again in a minute`,
    { details: { limitPerMinute: limit } },
  );
}

// One alert-source token may send so many alerts a minute: every alert costs D1 work and a policy
// decision, and one 64 KiB delivery can carry ~1,000. A delivery that would pass the budget is
// refused whole with 429 (Alertmanager and Grafana resend it later); the minute's first refusal for
// a token is audited, the rest only counted.
import { RewindError } from "../../../shared/errors.ts";
import type { AuditActor } from "../../../shared/schemas/audit.ts";
import { appendAudit } from "../audit/append.ts";
import type { Env } from "../env.ts";
import { alertPolicyFor } from "./alerts-env.ts";

export async function spendAlertBudget(env: Env, actor: AuditActor & { kind: "token" }, alerts: number): Promise<void> {
  const limit = alertPolicyFor(env).maxAlertsPerTokenPerMinute;
  const stub = env.AUDIT.get(env.AUDIT.idFromName("global"));
  const verdict = await stub.spend(`alerts:${actor.tokenId}`, alerts, limit);
  if (verdict.allowed) return;
  if (verdict.firstDenied) {
    await appendAudit(env, {
      actor,
      action: "policy.delivery-refused",
      subject: `token:${actor.tokenId}`,
      details: { code: "RATE_LIMITED", alerts, limitPerMinute: limit },
    });
  }
  throw new RewindError(
    "RATE_LIMITED",
    `token ${actor.tokenId} sent more than ${limit} alerts this minute (maxAlertsPerTokenPerMinute): resend this delivery later`,
  );
}

// A revoked token takes back what it asked for and is still waiting on someone else: its rollback
// requests pending approval are cancelled in their hosts' Durable Objects, so a stolen operator
// token's request cannot be approved by an unsuspecting colleague after the revocation. Rollbacks
// already approved (queued, running) are not touched: a second operator vouched for them.
import { and, eq, isNotNull } from "drizzle-orm";
import type { AuditActor } from "../../../../shared/schemas/audit.ts";
import { database } from "../../db/client.ts";
import { apiTokens, rollbacks } from "../../db/schema.ts";
import type { Env } from "../../env.ts";
import { unwrap } from "../rpc-outcome.ts";
import type { RollbackRow } from "./read.ts";

/** Cancels every request of `tokenId` waiting for approval, on every host; answers their ids. */
export async function withdrawRequestsOf(env: Env, tokenId: string, actor: AuditActor): Promise<string[]> {
  const rows = await database(env)
    .selectDistinct({ host: rollbacks.host })
    .from(rollbacks)
    .where(and(eq(rollbacks.requestedBy, tokenId), eq(rollbacks.state, "pending-approval")));
  const withdrawn: string[] = [];
  for (const { host } of rows) {
    withdrawn.push(...unwrap(await env.HOST.get(env.HOST.idFromName(host)).withdrawRequestsOf(host, tokenId, actor)));
  }
  return withdrawn;
}

/**
 * Before an approval: a request whose token was revoked while the request was being recorded (after
 * the revocation's sweep read D1) is withdrawn now, so the approval is refused like any other.
 */
export async function withdrawIfRequesterRevoked(env: Env, row: RollbackRow): Promise<void> {
  if (row.state !== "pending-approval") return;
  const [revoked] = await database(env)
    .select({ id: apiTokens.id })
    .from(apiTokens)
    .where(and(eq(apiTokens.id, row.requestedBy), isNotNull(apiTokens.revokedAt)));
  if (revoked !== undefined) await withdrawRequestsOf(env, revoked.id, { kind: "system" });
}

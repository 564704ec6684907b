// The one way any part of the control plane writes to the audit log: through the AuditLog Durable
// Object singleton "global", so sequence numbers are assigned by one writer and have no gaps.
// Entries that record an agent report put the report's compact JWS in `agentJws`, with `actor` the
// host that signed it; the offline verifier checks that JWS with that host's key alone.
import { RewindError } from "../../../shared/errors.ts";
import { type AuditEntry, auditEntry, type NewAuditEntry } from "../../../shared/schemas/audit.ts";
import * as z from "../../../shared/schemas/zod.ts";
import { describeIssues } from "../../../shared/schemas/zod-error.ts";
import type { Env } from "../env.ts";
import { addressBucket } from "./refusals.ts";

const newEntry = z.omit(auditEntry, { seq: true, time: true });

export async function appendAudit(env: Pick<Env, "AUDIT">, entry: NewAuditEntry): Promise<AuditEntry> {
  const checked = newEntry.safeParse(entry);
  if (!checked.success) {
    // A malformed entry is a bug in the caller, but it must not vanish silently from the record.
    throw new RewindError("INTERNAL", `audit entry is malformed: ${describeIssues(checked.error)}`);
  }
  const stub = env.AUDIT.get(env.AUDIT.idFromName("global"));
  return auditEntry.parse(await stub.append(checked.data));
}

/**
 * Records an unauthenticated refusal without letting it grow the log without bound (refusals.ts):
 * throws RATE_LIMITED when this client address or host name used up its refusals for the minute.
 */
export async function recordRefusal(env: Pick<Env, "AUDIT">, refusal: { entry: NewAuditEntry; address: string | undefined; host: string }): Promise<void> {
  const checked = newEntry.safeParse(refusal.entry);
  if (!checked.success) throw new RewindError("INTERNAL", `audit entry is malformed: ${describeIssues(checked.error)}`);
  const stub = env.AUDIT.get(env.AUDIT.idFromName("global"));
  // The header is the client's as Cloudflare saw it; bounded, since it is stored.
  const address = addressBucket(refusal.address ?? "unknown").slice(0, 64);
  const { limited } = await stub.refusal({ entry: checked.data, address, host: refusal.host });
  if (limited) {
    throw new RewindError(
      "RATE_LIMITED",
      `too many refused attempts from ${address} or for host ${refusal.host} this minute: wait a minute and check the token`,
    );
  }
}

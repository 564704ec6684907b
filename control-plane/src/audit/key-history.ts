// Every public key each host has enrolled, for the audit export: an auditor must be able to check
// reports signed before a re-enrollment, not only those signed with the host's current key.
// Pure: the keys come from the log's own `enrollment.completed` entries plus the hosts table.
import type { AuditKeysResponse } from "../../../shared/audit/export.ts";
import { auditEntry } from "../../../shared/schemas/audit.ts";
import { type PublicJwk, publicJwk } from "../../../shared/signing.ts";

export function hostKeyHistory(enrollmentTexts: readonly string[], current: readonly { name: string; publicJwk: PublicJwk }[]): AuditKeysResponse["hosts"] {
  const byHost: Record<string, PublicJwk[]> = {};
  const add = (host: string, key: PublicJwk): void => {
    const keys = byHost[host] ?? [];
    if (!keys.some((known) => known.x === key.x)) keys.push({ kty: key.kty, crv: key.crv, x: key.x });
    byHost[host] = keys;
  };
  for (const text of enrollmentTexts) {
    const entry = auditEntry.safeParse(JSON.parse(text));
    if (!entry.success || entry.data.action !== "enrollment.completed" || entry.data.actor.kind !== "host") continue;
    // Entries written before keys were logged carry none; the hosts table still gives the current one.
    const key = publicJwk.safeParse(entry.data.details.publicJwk);
    if (key.success) add(entry.data.actor.host, key.data);
  }
  for (const host of current) add(host.name, host.publicJwk);
  return byHost;
}

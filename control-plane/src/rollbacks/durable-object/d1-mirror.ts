// Writes a host's rollback records into D1 so any Worker can list and show them without waking the
// host's Durable Object.
import { database } from "../../db/client.ts";
import { rollbacks } from "../../db/schema.ts";
import type { Env } from "../../env.ts";
import { type RollbackRecord, requesterName } from "../record.ts";

export async function mirrorRollback(env: Env, record: RollbackRecord): Promise<void> {
  const row = {
    id: record.rollbackId,
    host: record.host,
    backupId: record.backupId,
    mode: record.mode,
    reason: record.reason,
    state: record.state,
    requestedBy: requesterName(record.requestedBy),
    requester: JSON.stringify(record.requestedBy),
    automatic: record.automatic,
    source: record.source ?? null,
    commandId: record.commandId ?? null,
    approvalsRequired: record.approvalsRequired,
    approvals: JSON.stringify(record.approvals),
    expiresAt: record.expiresAt ?? null,
    downtimeMs: record.downtimeMs ?? null,
    outcome: record.outcome === undefined ? null : JSON.stringify(record.outcome),
    createdAt: record.createdAt,
    updatedAt: record.updatedAt,
  };
  const { id, ...changes } = row;
  await database(env)
    .insert(rollbacks)
    .values({ id, ...changes })
    .onConflictDoUpdate({ target: rollbacks.id, set: changes });
}

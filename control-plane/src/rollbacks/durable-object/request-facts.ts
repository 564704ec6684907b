// What a rollback request is decided on, read from D1: the host's approval settings and the backup
// to roll back to (named, or the newest verified one). Unknown host or backup: NOT_FOUND.
import { eq } from "drizzle-orm";
import { RewindError } from "../../../../shared/errors.ts";
import { type BackupRow, findBackup, newestBackup } from "../../backups/catalog.ts";
import { database } from "../../db/client.ts";
import { hosts } from "../../db/schema.ts";
import type { Env } from "../../env.ts";
import type { RollbackRequestInput } from "../worker/request.ts";

export interface RequestFacts {
  host: { requireApproval: boolean; approvalsRequired: number; approvalWindowSeconds: number };
  backup: BackupRow;
}

export async function requestFacts(env: Env, input: RollbackRequestInput): Promise<RequestFacts> {
  const [host] = await database(env)
    .select({
      requireApproval: hosts.requireApproval,
      approvalsRequired: hosts.approvalsRequired,
      approvalWindowSeconds: hosts.approvalWindowSeconds,
    })
    .from(hosts)
    .where(eq(hosts.name, input.host))
    .limit(1);
  if (host === undefined) throw new RewindError("NOT_FOUND", `host ${input.host} is not enrolled`);
  const backup = input.backupId === undefined ? await newestBackup(env, input.host) : await findBackup(env, input.host, input.backupId);
  if (backup === undefined) {
    throw new RewindError(
      "NOT_FOUND",
      input.backupId === undefined
        ? `host ${input.host} has no verified backup yet: run a backup (rewind backup, or a backup command) first, or check the agent's log for why the seed's backup named by .last-deployment-backup was not adopted`
        : `host ${input.host} has no backup ${input.backupId}; list its backups with GET /v1/hosts/${input.host}/backups`,
      { details: { host: input.host, ...(input.backupId === undefined ? {} : { backupId: input.backupId }) } },
    );
  }
  return { host, backup };
}

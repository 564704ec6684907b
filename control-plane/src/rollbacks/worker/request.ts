// The single entry point for starting a rollback, used by the operator API, the alert webhooks and
// `rewind deploy`. The host's HostChannel Durable Object decides, one request at a time, so two
// concurrent requests for a host can never both start.
import type { AuditActor } from "../../../../shared/schemas/audit.ts";
import type { RollbackState } from "../../../../shared/schemas/rollback.ts";
import type { Env } from "../../env.ts";
import { unwrap } from "../rpc-outcome.ts";

export interface RollbackRequestInput {
  host: string;
  /** Absent: the host's newest verified backup. */
  backupId?: string;
  reason: string;
  mode?: "full" | "code-only";
  requestedBy: AuditActor;
  /** Started by policy (alerts, deploy watch) rather than a person: never waits for approval. */
  automatic: boolean;
  /** What started it, for the record: "operator", "alertmanager", "grafana", "deploy", … */
  source?: string;
}

/**
 * Throws CONFLICT (details.rollbackId = the one in flight), NOT_FOUND (unknown host, unknown backup,
 * or no backup at all), and returns `pending-approval` or `queued`.
 */
export async function requestRollback(env: Env, req: RollbackRequestInput): Promise<{ rollbackId: string; state: RollbackState }> {
  const stub = env.HOST.get(env.HOST.idFromName(req.host));
  return unwrap(await stub.requestRollback(req));
}

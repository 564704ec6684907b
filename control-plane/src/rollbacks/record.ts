// A rollback as the control plane keeps it: who asked, for which backup, its state, the command that
// carries it to the host, and the approvals it gathered. The host's Durable Object owns these records.
// Layout of rollbacks/: worker/ runs in the Worker (routes, reads from D1, the request entry point),
// durable-object/ only inside the host's HostChannel (desk, store, lifecycle decisions); this file and
// rpc-outcome.ts are the contract between the two sides.
import type { AuditActor } from "../../../shared/schemas/audit.ts";
import type { Preconditions } from "../../../shared/schemas/command.ts";
import type { RollbackState } from "../../../shared/schemas/rollback.ts";
import type { LockedWait } from "./durable-object/locked-retry.ts";

export interface Approval {
  tokenId: string;
  at: number;
}

export interface RollbackRecord {
  rollbackId: string;
  host: string;
  backupId: string;
  mode: "full" | "code-only";
  reason: string;
  state: RollbackState;
  requestedBy: AuditActor;
  automatic: boolean;
  source?: string;
  /** The host's reported state when it was requested, signed into its command as `pre`. */
  pre?: Preconditions;
  /** The signed `rollback` command, once queued. */
  commandId?: string;
  approvalsRequired: number;
  approvals: Approval[];
  /** A request waiting for approval expires at this time. */
  expiresAt?: number;
  /** The agent reported the stop-services step started: cancelling can no longer help. */
  servicesStopped: boolean;
  /** The agent refused the command LOCKED (the host was busy): sent again once it is free. */
  lockedWait?: LockedWait;
  /** The signed `cancel` command sent to the agent, if any. */
  cancelCommandId?: string;
  downtimeMs?: number;
  /** The last report about its command: a running rollback silent too long after it is lost. */
  lastProgressAt?: number;
  outcome?: { code?: string; message?: string };
  createdAt: number;
  updatedAt: number;
}

/** Who asked, as one short string for lists: the token id, `host:<name>`, or `system`. */
export function requesterName(actor: AuditActor): string {
  switch (actor.kind) {
    case "token":
      return actor.tokenId;
    case "host":
      return `host:${actor.host}`;
    case "system":
      return "system";
  }
}

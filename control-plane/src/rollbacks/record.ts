// A rollback as the control plane keeps it: who asked, for which backup, its state, the command that
// carries it to the host, and the approvals it gathered. The host's Durable Object owns these records.
// Layout of rollbacks/: worker/ runs in the Worker (routes, reads from D1, the request entry point),
// durable-object/ only inside the host's HostChannel (desk, store, lifecycle decisions); this file and
// rpc-outcome.ts are the contract between the two sides.
import * as z from "../../../shared/schemas/zod.ts";
import { type AuditActor, auditActor } from "../../../shared/schemas/audit.ts";
import { preconditions } from "../../../shared/schemas/command.ts";
import { rollbackState } from "../../../shared/schemas/rollback.ts";

export const approval = z.object({ tokenId: z.string(), at: z.number() });
export type Approval = z.output<typeof approval>;

/** The agent refused the command LOCKED (the host was busy): sent again once it is free. */
export const lockedWait = z.object({
  /** Why the host refused, in the agent's words. */
  reason: z.string(),
  /** The next try, unless the host reports a command finished earlier; absent while a resent command is out. */
  retryAt: z.optional(z.number()),
  /** The first command's expiry: no command of this rollback is valid after it. */
  validUntil: z.number(),
  attempts: z.number(),
});
export type LockedWait = z.output<typeof lockedWait>;

/** Parsed whenever it is read back from the Durable Object's SQLite, never cast. */
export const rollbackRecord = z.object({
  rollbackId: z.string(),
  host: z.string(),
  backupId: z.string(),
  mode: z.enum(["full", "code-only"]),
  reason: z.string(),
  state: rollbackState,
  requestedBy: auditActor,
  automatic: z.boolean(),
  source: z.optional(z.string()),
  /** The host's reported state when it was requested, signed into its command as `pre`. */
  pre: z.optional(preconditions),
  /** The signed `rollback` command, once queued. */
  commandId: z.optional(z.string()),
  approvalsRequired: z.number(),
  approvals: z.array(approval),
  /** A request waiting for approval expires at this time. */
  expiresAt: z.optional(z.number()),
  /** The agent reported the stop-services step started: cancelling can no longer help. */
  servicesStopped: z.boolean(),
  lockedWait: z.optional(lockedWait),
  /** The signed `cancel` command sent to the agent, if any. */
  cancelCommandId: z.optional(z.string()),
  downtimeMs: z.optional(z.number()),
  /** The last report about its command: a running rollback silent too long after it is lost. */
  lastProgressAt: z.optional(z.number()),
  /** What that report said the agent may take before its next one (its step's own timeout, its watch window); absent: the settings' own. */
  bound: z.optional(z.object({ step: z.string(), stepMs: z.number(), watchMs: z.number() })),
  outcome: z.optional(z.object({ code: z.optional(z.string()), message: z.optional(z.string()) })),
  createdAt: z.number(),
  updatedAt: z.number(),
});
export type RollbackRecord = z.output<typeof rollbackRecord>;

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

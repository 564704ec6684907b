// The operator API's answers, described once: the server types what it sends with these, and the CLI
// and the console parse what they receive with them. Written with zod/mini so the console's bundle
// stays inside its size budget. Objects are loose (a newer server may add fields) and states are
// plain strings: a CLI on a host older than the control plane still shows a state it does not know.
import * as z from "zod/mini";

const isoTime = z.string();

/** Every failed call: `{ error: { code, message, details? } }` with a code from shared/errors.ts. */
export const errorBody = z.looseObject({
  error: z.looseObject({
    code: z.string(),
    message: z.string(),
    details: z.optional(z.record(z.string(), z.unknown())),
  }),
});
export type ErrorBody = z.output<typeof errorBody>;

export const hostSummary = z.looseObject({
  name: z.string(),
  status: z.enum(["online", "offline"]),
  lastSeenAt: z.nullable(isoTime),
  agentVersion: z.string(),
  newestBackup: z.nullable(z.looseObject({ backupId: z.string(), createdAt: isoTime })),
  requireApproval: z.boolean(),
  approvalsRequired: z.number(),
});
export const hostList = z.looseObject({ hosts: z.array(hostSummary) });
export type HostSummary = z.output<typeof hostSummary>;

export const backupSummary = z.looseObject({
  backupId: z.string(),
  host: z.string(),
  createdAt: isoTime,
  timestamp: z.string(),
  gitCommit: z.string(),
  gitBranch: z.string(),
  verified: z.boolean(),
});
export const backupList = z.looseObject({ backups: z.array(backupSummary) });
export type BackupSummary = z.output<typeof backupSummary>;

/** 202 to POST /v1/rollbacks. */
export const rollbackAccepted = z.looseObject({ rollbackId: z.string(), state: z.string() });
export type RollbackAccepted = z.output<typeof rollbackAccepted>;

export const rollbackStep = z.looseObject({
  step: z.string(),
  state: z.string(),
  startedAt: z.optional(isoTime),
  durationMs: z.optional(z.number()),
  message: z.optional(z.string()),
});
export type RollbackStep = z.output<typeof rollbackStep>;

export const rollbackSummary = z.looseObject({
  rollbackId: z.string(),
  host: z.string(),
  backupId: z.string(),
  mode: z.string(),
  state: z.string(),
  reason: z.string(),
  requestedBy: z.string(),
  automatic: z.boolean(),
  source: z.nullable(z.string()),
  createdAt: isoTime,
  updatedAt: isoTime,
});
export const rollbackList = z.looseObject({ rollbacks: z.array(rollbackSummary) });
export type RollbackSummary = z.output<typeof rollbackSummary>;

export const rollbackDetail = z.looseObject({
  ...rollbackSummary.shape,
  commandId: z.nullable(z.string()),
  downtimeMs: z.optional(z.number()),
  outcome: z.optional(z.looseObject({ code: z.optional(z.string()), message: z.optional(z.string()) })),
  approvalsRequired: z.number(),
  approvals: z.array(z.looseObject({ tokenId: z.string(), approvedAt: isoTime })),
  expiresAt: z.optional(isoTime),
  steps: z.array(rollbackStep),
});
export type RollbackDetail = z.output<typeof rollbackDetail>;

export const approvalAnswer = z.looseObject({
  rollbackId: z.string(),
  state: z.string(),
  approvals: z.number(),
  approvalsRequired: z.number(),
});
export type ApprovalAnswer = z.output<typeof approvalAnswer>;

export const cancelAnswer = z.looseObject({ rollbackId: z.string(), state: z.string(), cancelRequested: z.boolean() });
export type CancelAnswer = z.output<typeof cancelAnswer>;

/** POST /v1/rollbacks/:id/abandon (admin). */
export const abandonAnswer = z.looseObject({ rollbackId: z.string(), state: z.string() });

/** DELETE /v1/hosts/:host: what the retirement cancelled and voided. */
export const hostRetired = z.looseObject({
  host: z.string(),
  retired: z.literal(true),
  cancelledRollbacks: z.array(z.string()),
  cancelledCommands: z.array(z.string()),
  voidedEnrollments: z.array(z.string()),
});
export type HostRetired = z.output<typeof hostRetired>;

/** GET /v1/me. */
export const me = z.looseObject({ tokenId: z.string(), role: z.string() });
export type Me = z.output<typeof me>;

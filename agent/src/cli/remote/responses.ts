// What the operator CLI expects back from the control plane's API. Loose objects: a newer server may
// add fields; the ones the CLI shows are checked.
import * as z from "zod";
import { finalRollbackStates } from "../../../../shared/schemas/rollback.ts";

const nullableText = z.string().nullable().optional();

export const hostList = z.looseObject({
  hosts: z.array(
    z.looseObject({
      name: z.string(),
      status: z.string(),
      lastSeenAt: nullableText,
      agentVersion: z.string(),
      newestBackup: z.looseObject({ backupId: z.string(), createdAt: z.string() }).nullable().optional(),
      requireApproval: z.boolean().optional(),
    }),
  ),
});

export const backupList = z.looseObject({
  backups: z.array(
    z.looseObject({
      backupId: z.string(),
      createdAt: z.string(),
      timestamp: z.string(),
      gitCommit: z.string(),
      gitBranch: z.string(),
      verified: z.boolean(),
    }),
  ),
});

export const accepted = z.looseObject({ rollbackId: z.string(), state: z.string() });

export const step = z.looseObject({
  step: z.string(),
  state: z.string(),
  startedAt: z.string().optional(),
  durationMs: z.number().optional(),
  message: z.string().optional(),
});

export const rollbackSummary = z.looseObject({
  rollbackId: z.string(),
  host: z.string(),
  backupId: z.string(),
  mode: z.string().optional(),
  state: z.string(),
  reason: z.string(),
  requestedBy: z.string(),
  createdAt: z.string(),
  updatedAt: z.string(),
});

export const rollbackList = z.looseObject({ rollbacks: z.array(rollbackSummary) });

export const rollbackDetail = z.looseObject({
  rollbackId: z.string(),
  host: z.string(),
  backupId: z.string(),
  state: z.string(),
  reason: z.string(),
  requestedBy: z.string(),
  createdAt: z.string(),
  updatedAt: z.string(),
  downtimeMs: z.number().optional(),
  outcome: z.looseObject({ code: z.string().optional(), message: z.string().optional() }).optional(),
  approvalsRequired: z.number().optional(),
  approvals: z.array(z.looseObject({ tokenId: z.string(), approvedAt: z.string() })).optional(),
  steps: z.array(step),
});
export type RollbackDetail = z.output<typeof rollbackDetail>;

export const approvalAnswer = z.looseObject({
  rollbackId: z.string(),
  state: z.string(),
  approvals: z.number(),
  approvalsRequired: z.number(),
});

export const cancelAnswer = z.looseObject({ rollbackId: z.string(), state: z.string(), cancelRequested: z.boolean() });

export const finalStates: ReadonlySet<string> = new Set(finalRollbackStates);

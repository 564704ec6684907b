// What an agent says about its work. Every report travels as a JWT signed by the agent's own key,
// so the audit log can carry the host's statement verifiable with the host's public key alone.
import * as z from "./zod.ts";
import { epochSeconds, gitCommit, hostName, id, imageId } from "./common.ts";
import { backupManifest } from "./manifest.ts";
import { reportedStepId, stepState } from "./rollback.ts";

export const rejectionCodes = [
  "SIGNATURE_INVALID",
  "UNKNOWN_KEY",
  "WRONG_AUDIENCE",
  "EXPIRED",
  "REPLAYED",
  "MALFORMED",
  "PRECONDITION_FAILED",
  "PAYLOAD_TOO_LARGE",
  "LOCKED",
] as const;
export const rejectionCode = z.enum(rejectionCodes);

export const ackReport = z.strictObject({ kind: z.literal("ack"), commandId: id });
export const rejectedReport = z.strictObject({
  kind: z.literal("rejected"),
  /** Absent when the frame was too broken to read an id from. */
  commandId: z.optional(id),
  code: rejectionCode,
  reason: z.string().check(z.minLength(1), z.maxLength(1000)),
});
export const progressReport = z.strictObject({
  kind: z.literal("progress"),
  commandId: id,
  rollbackId: z.optional(id),
  step: reportedStepId,
  state: stepState,
  startedAt: z.optional(z.iso.datetime({ offset: true })),
  durationMs: z.optional(z.number().check(z.int(), z.nonnegative())),
  message: z.optional(z.string().check(z.maxLength(2000))),
  excerpt: z.optional(z.string().check(z.maxLength(8000))),
  /**
   * How long the agent may stay silent from this report on: the running step's own timeout (after a
   * step ended: what runs until the next report) and its watch window, both from its configuration.
   * The control plane's lost deadline is this report + both; absent (older agents), its own settings.
   */
  bound: z.optional(z.strictObject({ stepSeconds: z.number().check(z.int(), z.positive()), watchSeconds: z.number().check(z.int(), z.nonnegative()) })),
});
export const resultReport = z.strictObject({
  kind: z.literal("result"),
  commandId: id,
  ok: z.boolean(),
  /** Stable error code when !ok. */
  code: z.optional(z.string()),
  message: z.optional(z.string().check(z.maxLength(4000))),
  /** Action-specific outcome (e.g. pong time, backup id, rollback timeline). */
  output: z.optional(z.record(z.string(), z.unknown())),
});
export const manifestReport = z.strictObject({ kind: z.literal("manifest"), manifest: backupManifest });
export const stateReport = z.strictObject({
  kind: z.literal("state"),
  commit: z.optional(gitCommit),
  images: z.optional(z.record(z.string().check(z.minLength(1)), imageId)),
});

export const report = z.discriminatedUnion("kind", [ackReport, rejectedReport, progressReport, resultReport, manifestReport, stateReport]);
export type Report = z.output<typeof report>;

/** JWT claims of a signed report: `iss` the host, `jti` a unique report id. */
export const reportClaims = z.strictObject({
  iss: hostName,
  aud: z.literal("rewind-control-plane"),
  jti: id,
  iat: epochSeconds,
  report,
});
export type ReportClaims = z.output<typeof reportClaims>;

/** JWT claims of the short-lived token an agent signs to open its socket. */
export const connectClaims = z.strictObject({
  iss: hostName,
  aud: z.literal("rewind-connect"),
  jti: id,
  iat: epochSeconds,
  exp: epochSeconds,
  agentVersion: z.string().check(z.minLength(1), z.maxLength(64)),
});
export type ConnectClaims = z.output<typeof connectClaims>;

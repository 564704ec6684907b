// One entry of the append-only audit log. The leaf hashed into the Merkle tree is the UTF-8 of
// `canonicalJson(entry)`; the NDJSON export carries exactly that text, one entry per line.
import * as z from "./zod.ts";
import { hostName, isoTime } from "./common.ts";

export const roles = ["admin", "operator", "viewer", "auditor", "alert-source", "enroll"] as const;
export const role = z.enum(roles);
export type Role = z.output<typeof role>;

export const auditActor = z.discriminatedUnion("kind", [
  z.strictObject({ kind: z.literal("token"), tokenId: z.string().check(z.minLength(1)), role }),
  z.strictObject({ kind: z.literal("host"), host: hostName }),
  z.strictObject({ kind: z.literal("system") }),
]);
export type AuditActor = z.output<typeof auditActor>;

/** An audit action: a dotted verb. */
export const auditActionPattern = /^[a-z][a-z0-9-]*(\.[a-z][a-z0-9-]*)+$/;

export const auditEntry = z.strictObject({
  /** 0-based; equals the entry's leaf index in the Merkle tree. */
  seq: z.number().check(z.int(), z.nonnegative()),
  time: isoTime,
  actor: auditActor,
  /** Dotted verb, e.g. `command.queued`, `agent.report`, `enrollment.completed`, `policy.decision`. */
  action: z.string().check(z.regex(auditActionPattern)),
  /** What it is about: `host:web-1`, `command:<id>`, `rollback:<id>`, `token:<id>`. */
  subject: z.string().check(z.minLength(1)),
  details: z.record(z.string(), z.unknown()),
  /** The agent's own signed report (compact JWS), when the entry records one. */
  agentJws: z.optional(z.string()),
});
export type AuditEntry = z.output<typeof auditEntry>;
export type NewAuditEntry = Omit<AuditEntry, "seq" | "time">;

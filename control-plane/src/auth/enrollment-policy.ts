// Who may mint which enrollment token. Enrolling a host name nobody enrolled yet is the `enroll`
// role's job (a machine credential for provisioning). Replacing the key of an enrolled host hands
// over its commands and its voice in the audit log, so it needs an admin, or an operator plus a
// second approver when the host requires approvals. Pure decisions; the routes do the I/O.
import type { ErrorCode } from "../../../shared/errors.ts";
import type { Role } from "../../../shared/schemas/audit.ts";

export interface EnrolledHost {
  requireApproval: boolean;
}

export type MintDecision = { kind: "new" } | { kind: "reenroll"; needsApproval: boolean } | { kind: "refuse"; code: ErrorCode; message: string };

export function decideMint(role: Role, host: string, enrolled: EnrolledHost | undefined): MintDecision {
  if (enrolled === undefined) return { kind: "new" };
  if (role === "admin") return { kind: "reenroll", needsApproval: false };
  if (role === "operator" && enrolled.requireApproval) return { kind: "reenroll", needsApproval: true };
  const who = role === "operator" ? "an operator alone (the host does not require approvals)" : `the ${role} role`;
  return {
    kind: "refuse",
    code: "FORBIDDEN",
    message: `host ${host} is already enrolled: replacing its key is a re-enrollment, which ${who} may not start; it needs an admin token (or, on a host that requires approvals, an operator and a second approver)`,
  };
}

export interface PendingEnrollment {
  host: string;
  createdBy: string;
  reenroll: boolean;
  needsApproval: boolean;
  approvedBy: string | null;
  usedAt: number | null;
  expiresAt: number;
}

export type ApprovalDecision = { kind: "approve" } | { kind: "refuse"; code: ErrorCode; message: string };

export function decideApproval(enrollment: PendingEnrollment, approverTokenId: string, now: number): ApprovalDecision {
  if (!enrollment.reenroll || !enrollment.needsApproval) {
    return { kind: "refuse", code: "CONFLICT", message: "this enrollment needs no approval" };
  }
  if (enrollment.approvedBy !== null) return { kind: "refuse", code: "CONFLICT", message: `already approved by ${enrollment.approvedBy}` };
  if (enrollment.usedAt !== null) return { kind: "refuse", code: "CONFLICT", message: "the enrollment token was already used" };
  if (enrollment.expiresAt <= now) return { kind: "refuse", code: "CONFLICT", message: "the enrollment token has expired: mint a new one" };
  if (enrollment.createdBy === approverTokenId) {
    return { kind: "refuse", code: "FORBIDDEN", message: "the operator who asked for the re-enrollment cannot approve it: a second operator must" };
  }
  return { kind: "approve" };
}

/** Whether a token may be used now, at the agent's enrollment, given whether its host is enrolled. */
export function usableFor(enrollment: Pick<PendingEnrollment, "reenroll" | "needsApproval" | "approvedBy">, hostEnrolled: boolean): string | undefined {
  if (hostEnrolled && !enrollment.reenroll) {
    return "the host is already enrolled and this token may only enroll a new host; re-enrolling needs a token an admin (or two operators) created";
  }
  if (enrollment.reenroll && enrollment.needsApproval && enrollment.approvedBy === null) {
    return "this re-enrollment still awaits a second operator's approval (POST /v1/enrollments/<id>/approve)";
  }
  return undefined;
}

// Which roles may call what. Admin may do everything; the other roles are checked as listed.
import type { Role } from "../../../shared/schemas/audit.ts";

export function roleAllowed(role: Role, allowed: readonly Role[]): boolean {
  return role === "admin" || allowed.includes(role);
}

/** Roles that may read hosts and commands. */
export const readers: readonly Role[] = ["viewer", "operator"];

/** Roles a stored token may have (admin exists only as the bootstrap secret). */
export const grantableRoles = ["operator", "viewer", "auditor", "alert-source", "enroll"] as const;

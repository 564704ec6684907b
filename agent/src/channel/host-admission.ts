// Before a host-changing command is acknowledged, the agent takes the host-wide lock for it and holds
// it until the command ends. Another process holding the host (a cron `rewind backup`, a `rewind
// deploy`) is thereby answered with a LOCKED refusal naming it, which the control plane retries
// within the command's validity, instead of an ack followed by a failure. Taking (not just
// looking at) the lock leaves no gap for another process to slip in before the command starts.
import { isRewindError } from "../../../shared/errors.ts";
import type { CommandClaims } from "../../../shared/schemas/command.ts";
import { acquireHostLock, type HostLock } from "../host/host-lock.ts";
import type { Rejection } from "./verify-command.ts";

/** What the lock names as its holder's work, for whoever is refused. */
export function hostOperationOf(claims: CommandClaims): string {
  const action = claims.action;
  return action.type === "rollback" ? `rollback ${action.rollbackId} (command ${claims.jti})` : `${action.type} (command ${claims.jti})`;
}

export type Admission = { ok: true; lock: HostLock } | { ok: false; rejection: Rejection };

export async function takeHostFor(stateDir: string, claims: CommandClaims): Promise<Admission> {
  try {
    return { ok: true, lock: await acquireHostLock(stateDir, hostOperationOf(claims)) };
  } catch (error) {
    if (isRewindError(error, "LOCKED")) return { ok: false, rejection: { commandId: claims.jti, code: "LOCKED", reason: error.message } };
    // Not a busy host but a broken one (the state directory unwritable): sending it again will not help.
    const reason = `cannot take the host lock in ${stateDir}: ${error instanceof Error ? error.message : String(error)}`;
    return { ok: false, rejection: { commandId: claims.jti, code: "PRECONDITION_FAILED", reason } };
  }
}

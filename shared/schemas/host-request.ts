// A request a host makes of the control plane outside its WebSocket (the `rewind deploy` CLI is a
// separate process from the agent): signed by the agent's own key, short-lived, single-use, and
// binding exactly what it asks for.
import * as z from "./zod.ts";
import { epochSeconds, hostName, id } from "./common.ts";
import { backupManifest } from "./manifest.ts";

export const hostRollbackRequest = z.strictObject({
  reason: z.string().check(z.minLength(1), z.maxLength(500)),
  /** Absent: the host's newest verified backup. */
  backupId: z.optional(id),
  /** What on the host asked: "deploy" for `rewind deploy`'s watch. */
  source: z.enum(["deploy"]),
  /**
   * The manifest of `backupId` when the control plane may not know it yet (a backup taken seconds
   * ago by the CLI, not announced by the agent): the host signs it here as it signs manifest reports.
   */
  manifest: z.optional(backupManifest),
});
export type HostRollbackRequest = z.output<typeof hostRollbackRequest>;

export const hostRequestClaims = z.strictObject({
  iss: hostName,
  aud: z.literal("rewind-host-request"),
  jti: id,
  iat: epochSeconds,
  exp: epochSeconds,
  request: hostRollbackRequest,
});
export type HostRequestClaims = z.output<typeof hostRequestClaims>;

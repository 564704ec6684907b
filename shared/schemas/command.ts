// Commands the control plane signs for one host. A closed set of typed actions, never a shell
// string: a stolen control plane can at worst ask for a rollback to a backup the host has.
import * as z from "./zod.ts";
import { epochSeconds, gitCommit, hostName, id, imageId, sha256Hex } from "./common.ts";

export const commandTypes = ["ping", "backup", "rollback", "verify", "cancel", "key-update"] as const;
export const commandType = z.enum(commandTypes);
export type CommandType = z.output<typeof commandType>;

export const pingAction = z.strictObject({ type: z.literal("ping") });
export const backupAction = z.strictObject({
  type: z.literal("backup"),
  /** Also copy the archives to the off-site S3 bucket configured on the agent. */
  offsite: z.optional(z.boolean()),
});
export const rollbackAction = z.strictObject({
  type: z.literal("rollback"),
  rollbackId: id,
  /** Backup to restore; absent means the host's newest verified backup. */
  backupId: z.optional(id),
  /**
   * SHA-256 of the host-signed manifest the control plane stored for `backupId` (shared
   * manifestSha256). A manifest fetched back from the off-site bucket is used only if it matches.
   */
  manifestSha256: z.optional(sha256Hex),
  /** `code-only` reverts commit and images without touching data (the seed's emergency path). */
  mode: z._default(z.enum(["full", "code-only"]), "full"),
  reason: z.string().check(z.minLength(1), z.maxLength(500)),
});
export const verifyAction = z.strictObject({ type: z.literal("verify") });
export const cancelAction = z.strictObject({
  type: z.literal("cancel"),
  /** The command (usually a rollback) to cancel. */
  targetCommandId: id,
});

/** A control-plane public key as an agent pins it (Ed25519, named by kid). */
export const pinnedKey = z.strictObject({
  kty: z.literal("OKP"),
  crv: z.literal("Ed25519"),
  x: z.string().check(z.regex(/^[A-Za-z0-9_-]{43}$/, "must be a base64url Ed25519 public key")),
  kid: z.string().check(z.minLength(1), z.maxLength(64)),
});
export type PinnedKey = z.output<typeof pinnedKey>;
/**
 * Key rotation: signed with a key the agent already pins, it adds these keys to the pinned set,
 * before the control plane starts signing with them. Keys are only added, never replaced.
 */
export const keyUpdateAction = z.strictObject({
  type: z.literal("key-update"),
  keys: z.array(pinnedKey).check(z.minLength(1), z.maxLength(8)),
});

export const commandAction = z.discriminatedUnion("type", [pingAction, backupAction, rollbackAction, verifyAction, cancelAction, keyUpdateAction]);
export type CommandAction = z.output<typeof commandAction>;

/** The state a decision was made on: the agent refuses the command if the host has moved on. */
export const preconditions = z.strictObject({
  commit: z.optional(gitCommit),
  /** service name → running image id */
  images: z.optional(z.record(z.string().check(z.minLength(1)), imageId)),
});
export type Preconditions = z.output<typeof preconditions>;

/**
 * The JWT claims of a signed command (compact JWS, EdDSA). `aud` is the target host, `jti` the
 * command id; the agent acts on exactly these fields.
 */
export const commandClaims = z.strictObject({
  iss: z.literal("rewind-control-plane"),
  aud: hostName,
  jti: id,
  nonce: z.string().check(z.minLength(16), z.maxLength(128)),
  iat: epochSeconds,
  exp: epochSeconds,
  action: commandAction,
  pre: z.optional(preconditions),
});
export type CommandClaims = z.output<typeof commandClaims>;

export const commandStates = [
  "queued",
  "delivered",
  "acknowledged",
  "running",
  "succeeded",
  "failed",
  "rejected",
  "expired",
  /** Withdrawn by the control plane before it was ever sent (e.g. its rollback was cancelled). */
  "cancelled",
] as const;
/** The longest a command the control plane signs stays valid (its exp - iat). */
export const maxCommandTtlSeconds = 24 * 3600;

export const commandState = z.enum(commandStates);
export type CommandState = z.output<typeof commandState>;
export const terminalCommandStates: readonly CommandState[] = ["succeeded", "failed", "rejected", "expired", "cancelled"];

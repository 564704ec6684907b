// D1 tables owned by the control plane core: API tokens, enrollment tokens, hosts, the index of
// commands (the queue itself lives in each host's Durable Object), rollbacks (mirrored from the same
// object, which decides them) and the backup manifests' index. Times are epoch milliseconds.
import { index, integer, primaryKey, sqliteTable, text } from "drizzle-orm/sqlite-core";

export const apiTokens = sqliteTable(
  "api_tokens",
  {
    id: text("id").primaryKey(),
    /** SHA-256 (hex) of the secret; the secret itself is shown once and never stored. */
    secretHash: text("secret_hash").notNull().unique(),
    role: text("role").notNull(),
    label: text("label").notNull(),
    createdAt: integer("created_at").notNull(),
    createdBy: text("created_by").notNull(),
    expiresAt: integer("expires_at"),
    revokedAt: integer("revoked_at"),
  },
  (table) => [index("api_tokens_role").on(table.role)],
);

export const enrollmentTokens = sqliteTable("enrollment_tokens", {
  id: text("id").primaryKey(),
  secretHash: text("secret_hash").notNull().unique(),
  host: text("host").notNull(),
  createdAt: integer("created_at").notNull(),
  createdBy: text("created_by").notNull(),
  expiresAt: integer("expires_at").notNull(),
  usedAt: integer("used_at"),
  /**
   * Replaces the key of a host already enrolled (a takeover if misused): minted only by an admin, or
   * by an operator with a second approver when the host requires approvals. A token without it can
   * only enroll a host name that is not enrolled yet.
   */
  reenroll: integer("reenroll", { mode: "boolean" }).notNull().default(false),
  /** A re-enrollment an operator minted waits for another operator's approval before it works. */
  needsApproval: integer("needs_approval", { mode: "boolean" }).notNull().default(false),
  approvedBy: text("approved_by"),
  approvedAt: integer("approved_at"),
});

export const hosts = sqliteTable("hosts", {
  name: text("name").primaryKey(),
  /** The agent's public Ed25519 JWK (JSON). */
  publicJwk: text("public_jwk").notNull(),
  fingerprint: text("fingerprint").notNull(),
  enrolledAt: integer("enrolled_at").notNull(),
  agentVersion: text("agent_version").notNull(),
  lastSeenAt: integer("last_seen_at"),
  online: integer("online", { mode: "boolean" }).notNull().default(false),
  /** Which socket made the host online, so a replaced socket's close does not mark it offline. */
  connectionId: text("connection_id"),
  /** Manual rollbacks wait for `approvalsRequired` other operators to approve. */
  requireApproval: integer("require_approval", { mode: "boolean" }).notNull().default(false),
  approvalsRequired: integer("approvals_required").notNull().default(1),
  /** How long a manual request waits for its approvals before it expires. */
  approvalWindowSeconds: integer("approval_window_seconds").notNull().default(900),
});

export const commands = sqliteTable(
  "commands",
  {
    id: text("id").primaryKey(),
    host: text("host").notNull(),
    actionType: text("action_type").notNull(),
    /** The signed action (JSON), for display; the JWS in the host's Durable Object is authoritative. */
    action: text("action").notNull(),
    state: text("state").notNull(),
    createdAt: integer("created_at").notNull(),
    createdBy: text("created_by").notNull(),
    expiresAt: integer("expires_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
    deliveredAt: integer("delivered_at"),
    acknowledgedAt: integer("acknowledged_at"),
    finishedAt: integer("finished_at"),
    /** Outcome (JSON): the result report's ok/code/message/output, or the rejection. */
    outcome: text("outcome"),
  },
  (table) => [index("commands_host_created").on(table.host, table.createdAt)],
);

/** Every verified report an agent sent about a command, in arrival order. */
export const commandReports = sqliteTable(
  "command_reports",
  {
    id: text("id").primaryKey(),
    /** Absent for reports about no command (a host state report, a frame too broken to name one). */
    commandId: text("command_id"),
    host: text("host").notNull(),
    kind: text("kind").notNull(),
    body: text("body").notNull(),
    receivedAt: integer("received_at").notNull(),
  },
  (table) => [index("command_reports_command").on(table.commandId, table.receivedAt)],
);

/** Mirror of each host's rollbacks (the HostChannel Durable Object is authoritative), for listing. */
export const rollbacks = sqliteTable(
  "rollbacks",
  {
    id: text("id").primaryKey(),
    host: text("host").notNull(),
    backupId: text("backup_id").notNull(),
    mode: text("mode").notNull(),
    reason: text("reason").notNull(),
    state: text("state").notNull(),
    /** Token id, `host:<name>` or `system`. */
    requestedBy: text("requested_by").notNull(),
    /** The full audit actor (JSON). */
    requester: text("requester").notNull(),
    automatic: integer("automatic", { mode: "boolean" }).notNull(),
    source: text("source"),
    commandId: text("command_id"),
    approvalsRequired: integer("approvals_required").notNull(),
    /** [{ tokenId, at }] (JSON). */
    approvals: text("approvals").notNull(),
    expiresAt: integer("expires_at"),
    downtimeMs: integer("downtime_ms"),
    /** { code, message } of a failure (JSON). */
    outcome: text("outcome"),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (table) => [index("rollbacks_host_created").on(table.host, table.createdAt), index("rollbacks_state").on(table.state)],
);

/** Verified backup manifests: the JSON itself is in S3 (or R2) under `objectKey`. */
export const backups = sqliteTable(
  "backups",
  {
    host: text("host").notNull(),
    backupId: text("backup_id").notNull(),
    /** The manifest's createdAt. */
    createdAt: integer("created_at").notNull(),
    /** The seed's DEPLOYMENT_TIMESTAMP. */
    timestamp: text("timestamp").notNull(),
    gitCommit: text("git_commit").notNull(),
    gitBranch: text("git_branch").notNull(),
    storage: text("storage").notNull(),
    objectKey: text("object_key").notNull(),
    /** Hex SHA-256 of the stored JSON (canonical: shared manifestSha256), signed into rollback commands. */
    sha256: text("sha256").notNull(),
    /** Signed by the host's key and checked on arrival. */
    verified: integer("verified", { mode: "boolean" }).notNull(),
    /** Who made it: `rewind`, or `seed` (the seed's scripts; verified and described by the agent). */
    origin: text("origin", { enum: ["rewind", "seed"] })
      .notNull()
      .default("rewind"),
    indexedAt: integer("indexed_at").notNull(),
  },
  (table) => [primaryKey({ columns: [table.host, table.backupId] }), index("backups_host_created").on(table.host, table.createdAt)],
);

/** Control-plane signing keys allowed to sign commands (key rotation): promoted, by whom, forced or not. */
export const signingKeyPromotions = sqliteTable("signing_key_promotions", {
  kid: text("kid").primaryKey(),
  promotedAt: integer("promoted_at").notNull(),
  /** Token id, or `system` when every online agent had pinned the key. */
  promotedBy: text("promoted_by").notNull(),
  /** Promoted by an admin while some online agent had not pinned it yet. */
  forced: integer("forced", { mode: "boolean" }).notNull(),
});

/** Which control-plane keys each agent pins: recorded at enrollment and from each key-update's result. */
export const agentKeyPins = sqliteTable(
  "agent_key_pins",
  {
    host: text("host").notNull(),
    kid: text("kid").notNull(),
    pinnedAt: integer("pinned_at").notNull(),
  },
  (table) => [primaryKey({ columns: [table.host, table.kid] })],
);

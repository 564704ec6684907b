// D1 tables owned by the alert webhooks: one recorded decision per alert episode and status (the
// unique key is the storm dedupe), the per-host automatic-rollback memory (cooldown, streak), and
// the single-use ids of host-signed rollback requests. Times are epoch milliseconds.
import { index, integer, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";

export const alertDecisions = sqliteTable(
  "alert_decisions",
  {
    id: text("id").primaryKey(),
    receivedAt: integer("received_at").notNull(),
    /** alertmanager | grafana | generic | deploy */
    source: text("source").notNull(),
    host: text("host"),
    alertname: text("alertname").notNull(),
    /** firing | resolved */
    status: text("status").notNull(),
    /** fingerprint@startsAt: with `status`, unique, so a storm of deliveries records one decision. */
    episodeKey: text("episode_key").notNull(),
    /** rollback | none */
    decision: text("decision").notNull(),
    reasonCode: text("reason_code").notNull(),
    reason: text("reason").notNull(),
    rollbackId: text("rollback_id"),
    /** Deliveries of this episode and status, the first included. */
    deliveries: integer("deliveries").notNull().default(1),
    lastDeliveryAt: integer("last_delivery_at").notNull(),
    /** The normalized signal (JSON): labels, severity, environment, value. */
    payload: text("payload").notNull(),
  },
  (table) => [
    uniqueIndex("alert_decisions_episode").on(table.episodeKey, table.status),
    index("alert_decisions_received").on(table.receivedAt),
    index("alert_decisions_host").on(table.host, table.receivedAt),
  ],
);

/** What the policy remembers about a host between deliveries. */
export const alertHostState = sqliteTable("alert_host_state", {
  host: text("host").primaryKey(),
  lastAutomaticAt: integer("last_automatic_at"),
  /** Automatic rollbacks in a row since a person last acted on the host. */
  streak: integer("streak").notNull().default(0),
  /** When a person last acted (manual rollback, explicit reset), and who. */
  resetAt: integer("reset_at"),
  resetBy: text("reset_by"),
});

/** A host-signed request token is good for one request (its jti), however often it is replayed. */
export const hostRequestTokens = sqliteTable("host_request_tokens", {
  jti: text("jti").primaryKey(),
  host: text("host").notNull(),
  usedAt: integer("used_at").notNull(),
  expiresAt: integer("expires_at").notNull(),
});

/** Notifications about a condition (agent offline, stale backup) are sent once per occurrence. */
export const notificationMarks = sqliteTable("notification_marks", {
  key: text("key").primaryKey(),
  sentAt: integer("sent_at").notNull(),
});

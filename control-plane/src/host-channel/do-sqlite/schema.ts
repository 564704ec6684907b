// The tables in each HostChannel Durable Object's own SQLite (D1's tables are in db/schema.ts):
// the command queue and what it remembers (queue-store.ts) and the host's rollbacks
// (rollbacks/durable-object/desk-store.ts). Changes go with a new migration in ./migrations.
// Times are epoch milliseconds.
import { index, integer, sqliteTable, text } from "drizzle-orm/sqlite-core";

/** The object's own facts: which host it is, which connection D1 shows as online. */
export const meta = sqliteTable("meta", {
  key: text("key").primaryKey(),
  value: text("value").notNull(),
});

/** The authoritative copy of every command's JWS and state (D1 holds a mirror for queries). */
export const commands = sqliteTable(
  "commands",
  {
    id: text("id").primaryKey(),
    jws: text("jws").notNull(),
    state: text("state").notNull(),
    createdAt: integer("created_at").notNull(),
    expiresAt: integer("expires_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
    deliveredAt: integer("delivered_at"),
    deliveries: integer("deliveries").notNull().default(0),
    acknowledgedAt: integer("acknowledged_at"),
    finishedAt: integer("finished_at"),
    /** JSON of the result or rejection report, once there is one. */
    outcome: text("outcome"),
  },
  (table) => [index("commands_state").on(table.state, table.expiresAt)],
);

/** Report ids already applied, so a retransmit is not applied twice. */
export const seenReports = sqliteTable("seen_reports", {
  id: text("id").primaryKey(),
  receivedAt: integer("received_at").notNull(),
});

/** Connect-token ids already used: a connect token works once. */
export const connectTokens = sqliteTable("connect_tokens", {
  jti: text("jti").primaryKey(),
  expiresAt: integer("expires_at").notNull(),
});

/** One JSON record per rollback, the copy decisions are made on (D1 only mirrors it for listing). */
export const rollbacks = sqliteTable(
  "rollbacks",
  {
    id: text("id").primaryKey(),
    state: text("state").notNull(),
    commandId: text("command_id"),
    expiresAt: integer("expires_at"),
    createdAt: integer("created_at").notNull(),
    record: text("record").notNull(),
  },
  (table) => [index("rollbacks_state").on(table.state), index("rollbacks_command").on(table.commandId)],
);

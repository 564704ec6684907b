// The tables in the AuditLog Durable Object's own SQLite (the log itself is in D1, ../schema.ts):
// per-minute write budgets (budget-store.ts) and refusal counts (refusal-store.ts). Changes go with a
// new migration in ./migrations.
import { integer, primaryKey, sqliteTable, text } from "drizzle-orm/sqlite-core";

export const budgets = sqliteTable(
  "budgets",
  {
    minute: integer("minute").notNull(),
    key: text("key").notNull(),
    used: integer("used").notNull(),
    denied: integer("denied").notNull(),
  },
  (table) => [primaryKey({ columns: [table.minute, table.key] })],
);

export const refusals = sqliteTable(
  "refusals",
  {
    minute: integer("minute").notNull(),
    action: text("action").notNull(),
    address: text("address").notNull(),
    host: text("host").notNull(),
    count: integer("count").notNull(),
  },
  (table) => [primaryKey({ columns: [table.minute, table.action, table.address, table.host] })],
);

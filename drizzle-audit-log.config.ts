// drizzle-kit for the AuditLog Durable Object's own SQLite (not D1: see drizzle.config.ts):
// `drizzle-kit generate --config drizzle-audit-log.config.ts`. It also writes a migrations.js
// index; add the new .sql to migrations.ts instead (the Worker bundles that one) and delete it.
import { defineConfig } from "drizzle-kit";

export default defineConfig({
  dialect: "sqlite",
  driver: "durable-sqlite",
  schema: "./control-plane/src/audit/do-sqlite/schema.ts",
  out: "./control-plane/src/audit/do-sqlite/migrations",
});

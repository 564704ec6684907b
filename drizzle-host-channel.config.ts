// drizzle-kit for each HostChannel Durable Object's own SQLite (not D1: see drizzle.config.ts):
// `drizzle-kit generate --config drizzle-host-channel.config.ts`. It also writes a migrations.js
// index; add the new .sql to migrations.ts instead (the Worker bundles that one) and delete it.
import { defineConfig } from "drizzle-kit";

export default defineConfig({
  dialect: "sqlite",
  driver: "durable-sqlite",
  schema: "./control-plane/src/host-channel/do-sqlite/schema.ts",
  out: "./control-plane/src/host-channel/do-sqlite/migrations",
});

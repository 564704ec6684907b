// drizzle-kit: generates D1 (SQLite) migrations into control-plane/migrations from the core, audit and
// alerts schemas; wrangler.toml's migrations_dir points at the same folder.
import { defineConfig } from "drizzle-kit";

export default defineConfig({
  dialect: "sqlite",
  schema: ["./control-plane/src/db/schema.ts", "./control-plane/src/audit/schema.ts", "./control-plane/src/alerts/schema.ts"],
  out: "./control-plane/migrations",
});

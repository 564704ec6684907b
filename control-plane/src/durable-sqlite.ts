// A Durable Object's own SQLite through drizzle. Its bundled migrations run under
// blockConcurrencyWhile, so the object takes no request, alarm or socket event before its tables
// are current; an object whose tables predate migrations gets them recorded by migration 0000.
import { type DrizzleSqliteDODatabase, drizzle } from "drizzle-orm/durable-sqlite";
import { migrate } from "drizzle-orm/durable-sqlite/migrator";
import { errorFields, log } from "./log.ts";

export type DurableSqlite = DrizzleSqliteDODatabase;
export type Migrations = Parameters<typeof migrate>[1];

/** Call from the object's constructor. */
export function openDurableSqlite(ctx: DurableObjectState, migrations: Migrations): DurableSqlite {
  const db = drizzle(ctx.storage);
  // A failed migration resets the object (the runtime's rule for a throw here); every event then fails
  // the same way until the code is fixed, so the reason is logged once per attempt.
  void ctx.blockConcurrencyWhile(async () => {
    try {
      await migrate(db, migrations);
    } catch (error) {
      log.error("durable_object.migration_failed", { object: ctx.id.toString(), ...errorFields(error) });
      throw error;
    }
  });
  return db;
}

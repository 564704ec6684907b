// Stands in for the two drizzle-orm/pg-core modules that drizzle's dialect-neutral code imports, in
// the Worker bundle (see scripts/worker-bundle-trims.ts): each pulls Postgres's table and column
// classes (~5 KB) into a SQLite-only Worker only to ask "is this a Postgres enum / primary-key
// builder?". These answer every such question as the real ones do (test/unit/worker-bundle-trims.test.ts).
import { entityKind } from "drizzle-orm";

// As drizzle-orm/pg-core/columns/enum.js: a pgEnum() carries this global symbol.
const isPgEnumSym = Symbol.for("drizzle:isPgEnum");

export function isPgEnum(obj: unknown): boolean {
  return !!obj && typeof obj === "function" && isPgEnumSym in obj && (obj as { [isPgEnumSym]?: unknown })[isPgEnumSym] === true;
}

/** drizzle's `is()` matches entity kinds, so this class matches what the real builder would. */
export class PrimaryKeyBuilder {
  static readonly [entityKind] = "PgPrimaryKeyBuilder";
  constructor() {
    throw new Error("drizzle's Postgres builders are left out of the Rewind Worker bundle (scripts/worker-bundle-trims.ts); the Worker's tables are SQLite");
  }
}

// Drizzle over the D1 binding, typed with the core schema.
import { drizzle } from "drizzle-orm/d1";
import type { Env } from "../env.ts";
import * as schema from "./schema.ts";

export function database(env: Pick<Env, "DB">) {
  return drizzle(env.DB, { schema });
}

export type Database = ReturnType<typeof database>;

// Per-minute budgets for authenticated write paths (alert webhooks per token), kept next to the
// refusal counts in the AuditLog Durable Object's SQLite: a delivery that would overspend is refused
// whole, and only the minute's first refusal is worth an audit entry.
import { and, eq, lt } from "drizzle-orm";
import type { DurableSqlite } from "../durable-sqlite.ts";
import { budgets } from "./do-sqlite/schema.ts";

export interface BudgetVerdict {
  allowed: boolean;
  /** The first delivery refused for this key this minute. */
  firstDenied: boolean;
}

export class BudgetStore {
  constructor(private readonly db: DurableSqlite) {}

  spend(minute: number, key: string, cost: number, limit: number): BudgetVerdict {
    this.db.delete(budgets).where(lt(budgets.minute, minute)).run();
    const row = this.db
      .select({ used: budgets.used, denied: budgets.denied })
      .from(budgets)
      .where(and(eq(budgets.minute, minute), eq(budgets.key, key)))
      .get();
    const used = row?.used ?? 0;
    const denied = row?.denied ?? 0;
    const allowed = used + cost <= limit;
    const spent = { used: allowed ? used + cost : used, denied: allowed ? denied : denied + 1 };
    this.db
      .insert(budgets)
      .values({ minute, key, ...spent })
      .onConflictDoUpdate({ target: [budgets.minute, budgets.key], set: spent })
      .run();
    return { allowed, firstDenied: !allowed && denied === 0 };
  }
}

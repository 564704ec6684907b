// The refusal counts of the current and recent minutes, in the AuditLog Durable Object's own SQLite:
// one row per minute, action, client address and host name. Rows go once their minute is folded.
import { and, asc, eq, lt, max, type SQL, sql, sum } from "drizzle-orm";
import type { DurableSqlite } from "../durable-sqlite.ts";
import { refusals } from "./do-sqlite/schema.ts";
import type { FoldRow, Refusal, RefusalCounts } from "./refusals.ts";

export class RefusalStore {
  constructor(private readonly db: DurableSqlite) {}

  private sum(where: SQL | undefined): number {
    const row = this.db
      .select({ n: sum(refusals.count).mapWith(Number) })
      .from(refusals)
      .where(where)
      .get();
    return row?.n ?? 0;
  }

  counts(minute: number, refusal: Refusal): RefusalCounts {
    const thisMinute = eq(refusals.minute, minute);
    return {
      sameAddress: this.sum(and(thisMinute, eq(refusals.address, refusal.address))),
      sameHost: this.sum(and(thisMinute, eq(refusals.host, refusal.host))),
      sameAction: this.sum(and(thisMinute, eq(refusals.action, refusal.entry.action))),
    };
  }

  add(minute: number, refusal: Refusal): void {
    this.db
      .insert(refusals)
      .values({ minute, action: refusal.entry.action, address: refusal.address, host: refusal.host, count: 1 })
      .onConflictDoUpdate({
        target: [refusals.minute, refusals.action, refusals.address, refusals.host],
        set: { count: sql`${refusals.count} + 1` },
      })
      .run();
  }

  /** Minutes before `minute` not folded yet, with their actions. */
  due(minute: number): { minute: number; action: string }[] {
    return this.db
      .selectDistinct({ minute: refusals.minute, action: refusals.action })
      .from(refusals)
      .where(lt(refusals.minute, minute))
      .orderBy(asc(refusals.minute), asc(refusals.action))
      .all();
  }

  rows(minute: number, action: string): FoldRow[] {
    return this.db
      .select({ address: refusals.address, host: refusals.host, count: refusals.count })
      .from(refusals)
      .where(and(eq(refusals.minute, minute), eq(refusals.action, action)))
      .all();
  }

  forget(minute: number, action: string): void {
    this.db
      .delete(refusals)
      .where(and(eq(refusals.minute, minute), eq(refusals.action, action)))
      .run();
  }

  latestMinute(): number | undefined {
    const row = this.db
      .select({ latest: max(refusals.minute) })
      .from(refusals)
      .get();
    return row?.latest ?? undefined;
  }
}

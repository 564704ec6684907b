// The refusal counts of the current and recent minutes, in the AuditLog Durable Object's own SQLite:
// one row per minute, action, client address and host name. Rows go once their minute is folded.
import type { FoldRow, Refusal, RefusalCounts } from "./refusals.ts";

export class RefusalStore {
  constructor(private readonly sql: SqlStorage) {
    sql.exec(`CREATE TABLE IF NOT EXISTS refusals (
      minute INTEGER NOT NULL, action TEXT NOT NULL, address TEXT NOT NULL, host TEXT NOT NULL, count INTEGER NOT NULL,
      PRIMARY KEY (minute, action, address, host))`);
  }

  private sum(query: string, ...bindings: SqlStorageValue[]): number {
    return Number(this.sql.exec(`SELECT COALESCE(SUM(count), 0) AS n FROM refusals WHERE ${query}`, ...bindings).one().n);
  }

  counts(minute: number, refusal: Refusal): RefusalCounts {
    return {
      sameAddress: this.sum("minute = ? AND address = ?", minute, refusal.address),
      sameHost: this.sum("minute = ? AND host = ?", minute, refusal.host),
      sameAction: this.sum("minute = ? AND action = ?", minute, refusal.entry.action),
    };
  }

  add(minute: number, refusal: Refusal): void {
    this.sql.exec(
      `INSERT INTO refusals (minute, action, address, host, count) VALUES (?, ?, ?, ?, 1)
       ON CONFLICT (minute, action, address, host) DO UPDATE SET count = count + 1`,
      minute,
      refusal.entry.action,
      refusal.address,
      refusal.host,
    );
  }

  /** Minutes before `minute` not folded yet, with their actions. */
  due(minute: number): { minute: number; action: string }[] {
    return this.sql
      .exec(`SELECT DISTINCT minute, action FROM refusals WHERE minute < ? ORDER BY minute, action`, minute)
      .toArray()
      .map((row) => ({ minute: Number(row.minute), action: String(row.action) }));
  }

  rows(minute: number, action: string): FoldRow[] {
    return this.sql
      .exec(`SELECT address, host, count FROM refusals WHERE minute = ? AND action = ?`, minute, action)
      .toArray()
      .map((row) => ({ address: String(row.address), host: String(row.host), count: Number(row.count) }));
  }

  forget(minute: number, action: string): void {
    this.sql.exec(`DELETE FROM refusals WHERE minute = ? AND action = ?`, minute, action);
  }

  latestMinute(): number | undefined {
    const row = this.sql.exec(`SELECT MAX(minute) AS m FROM refusals`).one();
    return row.m === null ? undefined : Number(row.m);
  }
}

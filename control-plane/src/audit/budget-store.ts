// Per-minute budgets for authenticated write paths (alert webhooks per token), kept next to the
// refusal counts in the AuditLog Durable Object's SQLite: a delivery that would overspend is refused
// whole, and only the minute's first refusal is worth an audit entry.
export interface BudgetVerdict {
  allowed: boolean;
  /** The first delivery refused for this key this minute. */
  firstDenied: boolean;
}

export class BudgetStore {
  constructor(private readonly sql: SqlStorage) {
    sql.exec(`CREATE TABLE IF NOT EXISTS budgets (
      minute INTEGER NOT NULL, key TEXT NOT NULL, used INTEGER NOT NULL, denied INTEGER NOT NULL, PRIMARY KEY (minute, key))`);
  }

  spend(minute: number, key: string, cost: number, limit: number): BudgetVerdict {
    this.sql.exec(`DELETE FROM budgets WHERE minute < ?`, minute);
    const row = this.sql.exec(`SELECT used, denied FROM budgets WHERE minute = ? AND key = ?`, minute, key).toArray()[0];
    const used = row === undefined ? 0 : Number(row.used);
    const denied = row === undefined ? 0 : Number(row.denied);
    const allowed = used + cost <= limit;
    this.sql.exec(
      `INSERT INTO budgets (minute, key, used, denied) VALUES (?, ?, ?, ?)
       ON CONFLICT (minute, key) DO UPDATE SET used = excluded.used, denied = excluded.denied`,
      minute,
      key,
      allowed ? used + cost : used,
      allowed ? denied : denied + 1,
    );
    return { allowed, firstDenied: !allowed && denied === 0 };
  }
}

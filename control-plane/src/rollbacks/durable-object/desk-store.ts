// The host's rollbacks in its Durable Object's own SQLite: the authoritative copy the decisions are
// made on (D1 only mirrors it for listing). One JSON record per rollback, indexed by state and command.
import type { RollbackState } from "../../../../shared/schemas/rollback.ts";
import { parseOrThrow } from "../../../../shared/schemas/zod-error.ts";
import { type RollbackRecord, rollbackRecord } from "../record.ts";

export class RollbackStore {
  constructor(private readonly sql: SqlStorage) {
    sql.exec(`CREATE TABLE IF NOT EXISTS rollbacks (
      id TEXT PRIMARY KEY, state TEXT NOT NULL, command_id TEXT, expires_at INTEGER, created_at INTEGER NOT NULL, record TEXT NOT NULL)`);
    sql.exec(`CREATE INDEX IF NOT EXISTS rollbacks_state ON rollbacks (state)`);
    sql.exec(`CREATE INDEX IF NOT EXISTS rollbacks_command ON rollbacks (command_id)`);
  }

  private read(rows: Record<string, SqlStorageValue>[]): RollbackRecord[] {
    return rows.map((row) => parseOrThrow(rollbackRecord, JSON.parse(String(row.record)), "stored rollback record", "INTERNAL"));
  }

  get(id: string): RollbackRecord | undefined {
    return this.read(this.sql.exec(`SELECT record FROM rollbacks WHERE id = ?`, id).toArray())[0];
  }

  byCommand(commandId: string): RollbackRecord | undefined {
    return this.read(this.sql.exec(`SELECT record FROM rollbacks WHERE command_id = ?`, commandId).toArray())[0];
  }

  withStates(states: readonly RollbackState[]): RollbackRecord[] {
    const marks = states.map(() => "?").join(", ");
    return this.read(this.sql.exec(`SELECT record FROM rollbacks WHERE state IN (${marks}) ORDER BY created_at`, ...states).toArray());
  }

  put(record: RollbackRecord): void {
    rollbackRecord.parse(record);
    this.sql.exec(
      `INSERT INTO rollbacks (id, state, command_id, expires_at, created_at, record) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (id) DO UPDATE SET state = excluded.state, command_id = excluded.command_id,
         expires_at = excluded.expires_at, record = excluded.record`,
      record.rollbackId,
      record.state,
      record.commandId ?? null,
      record.expiresAt ?? null,
      record.createdAt,
      JSON.stringify(record),
    );
  }
}

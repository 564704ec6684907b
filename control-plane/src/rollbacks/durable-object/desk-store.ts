// The host's rollbacks in its Durable Object's own SQLite: the authoritative copy the decisions are
// made on (D1 only mirrors it for listing). One JSON record per rollback, indexed by state and command.
import { asc, eq, inArray, type SQL } from "drizzle-orm";
import { RewindError } from "../../../../shared/errors.ts";
import type { RollbackState } from "../../../../shared/schemas/rollback.ts";
import { parseOrThrow } from "../../../../shared/schemas/zod-error.ts";
import type { DurableSqlite } from "../../durable-sqlite.ts";
import { rollbacks } from "../../host-channel/do-sqlite/schema.ts";
import { type RollbackRecord, rollbackRecord } from "../record.ts";
import { type LostBudget, lostDeadline } from "./deadline.ts";

export class RollbackStore {
  constructor(private readonly db: DurableSqlite) {}

  private read(where: SQL | undefined): RollbackRecord[] {
    return this.db
      .select({ record: rollbacks.record })
      .from(rollbacks)
      .where(where)
      .orderBy(asc(rollbacks.createdAt))
      .all()
      .map((row) => parseOrThrow(rollbackRecord, JSON.parse(row.record), "stored rollback record", "INTERNAL"));
  }

  get(id: string): RollbackRecord | undefined {
    return this.read(eq(rollbacks.id, id))[0];
  }

  mustGet(id: string): RollbackRecord {
    const record = this.get(id);
    if (record === undefined) throw new RewindError("NOT_FOUND", `no rollback ${id}`);
    return record;
  }

  byCommand(commandId: string): RollbackRecord | undefined {
    return this.read(eq(rollbacks.commandId, commandId))[0];
  }

  withStates(states: readonly RollbackState[]): RollbackRecord[] {
    return this.read(inArray(rollbacks.state, [...states]));
  }

  /** When the desk must wake: the earliest approval window's end, lost deadline or LOCKED retry. */
  nextDeadline(budget: LostBudget): number | undefined {
    const deadlines = [
      ...this.withStates(["pending-approval"]).map((record) => record.expiresAt),
      ...this.withStates(["running"]).map((record) => lostDeadline(record, budget)),
      ...this.withStates(["queued"]).map((record) => record.lockedWait?.retryAt),
    ].filter((at): at is number => at !== undefined);
    return deadlines.length === 0 ? undefined : Math.min(...deadlines);
  }

  put(record: RollbackRecord): void {
    rollbackRecord.parse(record);
    const row = {
      state: record.state,
      commandId: record.commandId ?? null,
      expiresAt: record.expiresAt ?? null,
      record: JSON.stringify(record),
    };
    this.db
      .insert(rollbacks)
      .values({ id: record.rollbackId, createdAt: record.createdAt, ...row })
      .onConflictDoUpdate({ target: rollbacks.id, set: row })
      .run();
  }
}

// The host's command queue in its Durable Object's own SQLite: the authoritative copy of every
// command's JWS and state (D1 holds a mirror for queries). Also remembers report ids and connect-token
// ids already seen, so retransmits are idempotent and a connect token works once.
import * as z from "zod";
import { type CommandState, commandState, terminalCommandStates } from "../../../shared/schemas/command.ts";
import { parseOrThrow } from "../../../shared/schemas/zod-error.ts";

/** A row of the commands table, parsed as it is read back (never cast). */
const commandRow = z
  .object({
    id: z.string(),
    jws: z.string(),
    state: commandState,
    created_at: z.number(),
    expires_at: z.number(),
    updated_at: z.number(),
    delivered_at: z.number().nullable(),
    deliveries: z.number(),
    acknowledged_at: z.number().nullable(),
    finished_at: z.number().nullable(),
    /** JSON of the result or rejection report, once there is one. */
    outcome: z.string().nullable(),
  })
  .transform((row) => ({
    id: row.id,
    jws: row.jws,
    state: row.state,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    updatedAt: row.updated_at,
    deliveredAt: row.delivered_at,
    deliveries: row.deliveries,
    acknowledgedAt: row.acknowledged_at,
    finishedAt: row.finished_at,
    outcome: row.outcome,
  }));
export type QueuedCommand = z.output<typeof commandRow>;

function toCommand(row: unknown): QueuedCommand {
  return parseOrThrow(commandRow, row, "stored command", "INTERNAL");
}

export class QueueStore {
  constructor(private readonly sql: SqlStorage) {
    sql.exec(`CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)`);
    sql.exec(`CREATE TABLE IF NOT EXISTS commands (
      id TEXT PRIMARY KEY, jws TEXT NOT NULL, state TEXT NOT NULL, created_at INTEGER NOT NULL,
      expires_at INTEGER NOT NULL, updated_at INTEGER NOT NULL, delivered_at INTEGER,
      deliveries INTEGER NOT NULL DEFAULT 0, acknowledged_at INTEGER, finished_at INTEGER, outcome TEXT)`);
    sql.exec(`CREATE INDEX IF NOT EXISTS commands_state ON commands (state, expires_at)`);
    sql.exec(`CREATE TABLE IF NOT EXISTS seen_reports (id TEXT PRIMARY KEY, received_at INTEGER NOT NULL)`);
    sql.exec(`CREATE TABLE IF NOT EXISTS connect_tokens (jti TEXT PRIMARY KEY, expires_at INTEGER NOT NULL)`);
  }

  private meta(key: string): string | undefined {
    const row = this.sql.exec(`SELECT value FROM meta WHERE key = ?`, key).toArray()[0];
    return row === undefined ? undefined : String(row.value);
  }

  private setMeta(key: string, value: string | undefined): void {
    if (value === undefined) this.sql.exec(`DELETE FROM meta WHERE key = ?`, key);
    else this.sql.exec(`INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value`, key, value);
  }

  host(): string | undefined {
    return this.meta("host");
  }

  setHost(host: string): void {
    this.setMeta("host", host);
  }

  /** The connection D1 shows as online; it outlives the socket when the runtime restarts under it. */
  onlineConnection(): string | undefined {
    return this.meta("online-connection");
  }

  setOnlineConnection(connectionId: string | undefined): void {
    this.setMeta("online-connection", connectionId);
  }

  insert(command: { id: string; jws: string; createdAt: number; expiresAt: number }): void {
    this.sql.exec(
      `INSERT INTO commands (id, jws, state, created_at, expires_at, updated_at) VALUES (?, ?, 'queued', ?, ?, ?)`,
      command.id,
      command.jws,
      command.createdAt,
      command.expiresAt,
      command.createdAt,
    );
  }

  get(id: string): QueuedCommand | undefined {
    const row = this.sql.exec(`SELECT * FROM commands WHERE id = ?`, id).toArray()[0];
    return row === undefined ? undefined : toCommand(row);
  }

  /** Commands not yet acknowledged, oldest first: what a (re)connecting agent is sent. */
  awaitingAck(): QueuedCommand[] {
    return this.sql
      .exec(`SELECT * FROM commands WHERE state IN ('queued', 'delivered') ORDER BY created_at`)
      .toArray()
      .map((row) => toCommand(row));
  }

  recordDelivery(id: string, now: number): void {
    this.sql.exec(
      `UPDATE commands SET deliveries = deliveries + 1, delivered_at = ?, updated_at = ?,
         state = CASE WHEN state = 'queued' THEN 'delivered' ELSE state END
       WHERE id = ?`,
      now,
      now,
      id,
    );
  }

  setState(id: string, state: CommandState, now: number, outcome?: string): void {
    const acknowledged = state === "acknowledged" || state === "running" ? now : null;
    const finished = terminalCommandStates.includes(state) ? now : null;
    this.sql.exec(
      `UPDATE commands SET state = ?, updated_at = ?,
         acknowledged_at = COALESCE(acknowledged_at, ?), finished_at = COALESCE(finished_at, ?),
         outcome = COALESCE(?, outcome)
       WHERE id = ?`,
      state,
      now,
      acknowledged,
      finished,
      outcome ?? null,
      id,
    );
  }

  /** True the first time a report id is seen; a retransmit returns false. */
  isReportSeen(id: string): boolean {
    return this.sql.exec(`SELECT 1 FROM seen_reports WHERE id = ?`, id).toArray().length > 0;
  }

  /** Called once a report was fully applied, so a copy resent after a crash mid-way is applied again. */
  markReportSeen(id: string, now: number): void {
    this.sql.exec(`INSERT OR IGNORE INTO seen_reports (id, received_at) VALUES (?, ?)`, id, now);
  }

  /** True the first time a connect token id is used; expired ids are pruned as a side effect. */
  useConnectToken(jti: string, expiresAt: number, now: number): boolean {
    this.sql.exec(`DELETE FROM connect_tokens WHERE expires_at < ?`, now);
    if (this.sql.exec(`SELECT 1 FROM connect_tokens WHERE jti = ?`, jti).toArray().length > 0) return false;
    this.sql.exec(`INSERT INTO connect_tokens (jti, expires_at) VALUES (?, ?)`, jti, expiresAt);
    return true;
  }
}

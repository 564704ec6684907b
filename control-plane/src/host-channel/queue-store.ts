// The host's command queue in its Durable Object's own SQLite: the authoritative copy of every
// command's JWS and state (D1 holds a mirror for queries). Also remembers report ids and connect-token
// ids already seen, so retransmits are idempotent and a connect token works once.
import { asc, eq, inArray, lt, sql } from "drizzle-orm";
import * as z from "../../../shared/schemas/zod.ts";
import { type CommandState, commandState, terminalCommandStates } from "../../../shared/schemas/command.ts";
import { parseOrThrow } from "../../../shared/schemas/zod-error.ts";
import type { DurableSqlite } from "../durable-sqlite.ts";
import { commands, connectTokens, meta, seenReports } from "./do-sqlite/schema.ts";

/** A row of the commands table, parsed as it is read back (its state is one the code knows). */
const commandRow = z.object({
  id: z.string(),
  jws: z.string(),
  state: commandState,
  createdAt: z.number(),
  expiresAt: z.number(),
  updatedAt: z.number(),
  deliveredAt: z.nullable(z.number()),
  deliveries: z.number(),
  acknowledgedAt: z.nullable(z.number()),
  finishedAt: z.nullable(z.number()),
  /** JSON of the result or rejection report, once there is one. */
  outcome: z.nullable(z.string()),
});
export type QueuedCommand = z.output<typeof commandRow>;

function toCommand(row: unknown): QueuedCommand {
  return parseOrThrow(commandRow, row, "stored command", "INTERNAL");
}

export class QueueStore {
  constructor(private readonly db: DurableSqlite) {}

  private meta(key: string): string | undefined {
    return this.db.select({ value: meta.value }).from(meta).where(eq(meta.key, key)).get()?.value;
  }

  private setMeta(key: string, value: string | undefined): void {
    if (value === undefined) this.db.delete(meta).where(eq(meta.key, key)).run();
    else this.db.insert(meta).values({ key, value }).onConflictDoUpdate({ target: meta.key, set: { value } }).run();
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
    this.db
      .insert(commands)
      .values({ ...command, state: "queued", updatedAt: command.createdAt })
      .run();
  }

  get(id: string): QueuedCommand | undefined {
    const row = this.db.select().from(commands).where(eq(commands.id, id)).get();
    return row === undefined ? undefined : toCommand(row);
  }

  /** Commands not yet acknowledged, oldest first: what a (re)connecting agent is sent. */
  awaitingAck(): QueuedCommand[] {
    return this.db
      .select()
      .from(commands)
      .where(inArray(commands.state, ["queued", "delivered"]))
      .orderBy(asc(commands.createdAt))
      .all()
      .map(toCommand);
  }

  recordDelivery(id: string, now: number): void {
    this.db
      .update(commands)
      .set({
        deliveries: sql`${commands.deliveries} + 1`,
        deliveredAt: now,
        updatedAt: now,
        state: sql`CASE WHEN ${commands.state} = 'queued' THEN 'delivered' ELSE ${commands.state} END`,
      })
      .where(eq(commands.id, id))
      .run();
  }

  setState(id: string, state: CommandState, now: number, outcome?: string): void {
    const acknowledged = state === "acknowledged" || state === "running" ? now : null;
    const finished = terminalCommandStates.includes(state) ? now : null;
    this.db
      .update(commands)
      .set({
        state,
        updatedAt: now,
        acknowledgedAt: sql`COALESCE(${commands.acknowledgedAt}, ${acknowledged})`,
        finishedAt: sql`COALESCE(${commands.finishedAt}, ${finished})`,
        outcome: sql`COALESCE(${outcome ?? null}, ${commands.outcome})`,
      })
      .where(eq(commands.id, id))
      .run();
  }

  /** True the first time a report id is seen; a retransmit returns false. */
  isReportSeen(id: string): boolean {
    return this.db.select({ id: seenReports.id }).from(seenReports).where(eq(seenReports.id, id)).get() !== undefined;
  }

  /** Called once a report was fully applied, so a copy resent after a crash mid-way is applied again. */
  markReportSeen(id: string, now: number): void {
    this.db.insert(seenReports).values({ id, receivedAt: now }).onConflictDoNothing().run();
  }

  /** True the first time a connect token id is used; expired ids are pruned as a side effect. */
  useConnectToken(jti: string, expiresAt: number, now: number): boolean {
    this.db.delete(connectTokens).where(lt(connectTokens.expiresAt, now)).run();
    const inserted = this.db.insert(connectTokens).values({ jti, expiresAt }).onConflictDoNothing().returning({ jti: connectTokens.jti }).all();
    return inserted.length > 0;
  }
}

// What a host's Durable Object tells D1: the command index (so any Worker can answer
// GET /v1/commands/:id), the reports received, and whether the host is online.
import { and, eq } from "drizzle-orm";
import type { CommandAction } from "../../../shared/schemas/command.ts";
import { database } from "../db/client.ts";
import { commandReports, commands, hosts } from "../db/schema.ts";
import type { Env } from "../env.ts";
import type { QueuedCommand } from "./queue-store.ts";

export async function insertCommand(
  env: Env,
  command: { id: string; host: string; action: CommandAction; createdAt: number; createdBy: string; expiresAt: number },
): Promise<void> {
  await database(env)
    .insert(commands)
    .values({
      id: command.id,
      host: command.host,
      actionType: command.action.type,
      action: JSON.stringify(command.action),
      state: "queued",
      createdAt: command.createdAt,
      createdBy: command.createdBy,
      expiresAt: command.expiresAt,
      updatedAt: command.createdAt,
    });
}

export async function syncCommand(env: Env, command: QueuedCommand): Promise<void> {
  await database(env)
    .update(commands)
    .set({
      state: command.state,
      updatedAt: command.updatedAt,
      deliveredAt: command.deliveredAt,
      acknowledgedAt: command.acknowledgedAt,
      finishedAt: command.finishedAt,
      outcome: command.outcome,
    })
    .where(eq(commands.id, command.id));
}

export async function insertReport(
  env: Env,
  report: { id: string; commandId: string | undefined; host: string; kind: string; body: unknown; receivedAt: number },
): Promise<void> {
  await database(env)
    .insert(commandReports)
    .values({
      id: report.id,
      commandId: report.commandId ?? null,
      host: report.host,
      kind: report.kind,
      body: JSON.stringify(report.body),
      receivedAt: report.receivedAt,
    })
    .onConflictDoNothing();
}

export async function markOnline(env: Env, host: string, connectionId: string, agentVersion: string, now: number): Promise<void> {
  await database(env).update(hosts).set({ online: true, connectionId, agentVersion, lastSeenAt: now }).where(eq(hosts.name, host));
}

export async function touchHost(env: Env, host: string, now: number): Promise<void> {
  await database(env).update(hosts).set({ lastSeenAt: now }).where(eq(hosts.name, host));
}

/** Only the socket that made the host online can take it offline: a replaced socket's close is ignored. */
export async function markOffline(env: Env, host: string, connectionId: string, now: number): Promise<void> {
  await database(env)
    .update(hosts)
    .set({ online: false, lastSeenAt: now })
    .where(and(eq(hosts.name, host), eq(hosts.connectionId, connectionId)));
}

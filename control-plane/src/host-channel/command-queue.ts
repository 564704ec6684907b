// The host's command queue: store a signed command, index it in D1, deliver it until the agent
// acknowledges it (again after redeliverAfterMs), expire what nobody acknowledged in time, and take
// back one never sent. Commands the control plane itself issues are signed here.
import type { CommandAction, CommandState, Preconditions } from "../../../shared/schemas/command.ts";
import { keyUpdateFor, keyUpdateTtlSeconds } from "../keys/host-keys.ts";
import type { ChannelContext } from "./channel-context.ts";
import { awaitsAck, nextState, nextWake } from "./command-state.ts";
import { insertCommand, syncCommand } from "./d1-mirror.ts";
import { signHostCommand } from "./sign-command.ts";
import { send } from "./sockets.ts";

/** An unacknowledged command is sent again this long after its last delivery. */
export const redeliverAfterMs = 15_000;

export interface EnqueueRequest {
  host: string;
  commandId: string;
  jws: string;
  action: CommandAction;
  createdAt: number;
  createdBy: string;
  expiresAt: number;
}

export class CommandQueue {
  constructor(
    private readonly c: ChannelContext,
    private readonly currentSocket: () => WebSocket | undefined,
  ) {}

  syncMirror(id: string): Promise<void> {
    return this.c.mirror(async () => {
      const command = this.c.store.get(id);
      if (command !== undefined) await syncCommand(this.c.env, command);
    });
  }

  /** Stores a signed command, indexes it in D1, and sends it now if the agent is here. */
  async enqueue(request: EnqueueRequest): Promise<{ state: string }> {
    this.c.store.setHost(request.host);
    this.c.store.insert({ id: request.commandId, jws: request.jws, createdAt: request.createdAt, expiresAt: request.expiresAt });
    await this.c.mirror(() => insertCommand(this.c.env, { ...request, id: request.commandId }));
    const ws = this.currentSocket();
    if (ws !== undefined) await this.deliver(ws, request.commandId);
    await this.c.scheduleAlarm();
    return { state: this.c.store.get(request.commandId)?.state ?? "queued" };
  }

  async deliverPending(ws: WebSocket): Promise<void> {
    const now = Date.now();
    for (const command of this.c.store.awaitingAck()) {
      if (command.expiresAt > now) await this.deliver(ws, command.id);
    }
  }

  private async deliver(ws: WebSocket, id: string): Promise<void> {
    const command = this.c.store.get(id);
    if (command === undefined || !awaitsAck(command.state)) return;
    // Recorded before sending: an ack racing back must find the command already delivered.
    this.c.store.recordDelivery(id, Date.now());
    send(ws, { t: "command", id, jws: command.jws });
    await this.syncMirror(id);
    if (command.deliveries === 0) {
      await this.c.audit({
        actor: { kind: "system" },
        action: "command.delivered",
        subject: `command:${id}`,
        details: { host: this.c.store.host() ?? "" },
      });
    }
  }

  /** Signs `action` for this host and queues it like an API-queued command. */
  async enqueueAction(action: CommandAction, createdBy: string, ttlSeconds: number, pre?: Preconditions): Promise<{ commandId: string }> {
    const host = this.c.store.host();
    if (host === undefined) throw new TypeError("the host channel does not know its host yet");
    const now = new Date();
    const { claims, jws } = await signHostCommand(this.c.env, host, action, { ttlSeconds, now, ...(pre === undefined ? {} : { preconditions: pre }) });
    await this.enqueue({ host, commandId: claims.jti, jws, action, createdAt: now.getTime(), createdBy, expiresAt: claims.exp * 1000 });
    await this.c.audit({
      actor: { kind: "system" },
      action: "command.queued",
      subject: `command:${claims.jti}`,
      details: { host, action, expiresAt: new Date(claims.exp * 1000).toISOString(), ...(pre === undefined ? {} : { pre }) },
    });
    return { commandId: claims.jti };
  }

  /** Key rotation (on connect, and for a rollout): a key-update for the published keys the agent lacks. */
  async offerKeys(host: string): Promise<string[]> {
    this.c.store.setHost(host);
    const action = await keyUpdateFor(this.c.env, host);
    if (action?.type !== "key-update") return [];
    await this.enqueueAction(action, "system", keyUpdateTtlSeconds);
    return action.keys.map((key) => key.kid);
  }

  /** Takes back a command never sent to the agent (its rollback was cancelled). */
  async withdraw(commandId: string): Promise<void> {
    const command = this.c.store.get(commandId);
    if (command === undefined || command.state !== "queued") return;
    this.c.store.setState(commandId, "cancelled", Date.now());
    await this.syncMirror(commandId);
    await this.c.audit({
      actor: { kind: "system" },
      action: "command.withdrawn",
      subject: `command:${commandId}`,
      details: { host: this.c.store.host() ?? "" },
    });
    await this.c.scheduleAlarm();
  }

  /** The host was retired: every command it has not acknowledged is cancelled, never to be delivered. */
  async cancelUnacknowledged(reason: string): Promise<string[]> {
    const pending = this.c.store.awaitingAck();
    for (const command of pending) {
      this.c.store.setState(command.id, "cancelled", Date.now());
      await this.syncMirror(command.id);
      await this.c.audit({
        actor: { kind: "system" },
        action: "command.withdrawn",
        subject: `command:${command.id}`,
        details: { host: this.c.store.host() ?? "", reason },
      });
    }
    await this.c.scheduleAlarm();
    return pending.map((command) => command.id);
  }

  /** Expires what nobody acknowledged in time (telling `onExpired`) and redelivers what is due. */
  async expireAndRedeliver(now: number, onExpired: (commandId: string, state: CommandState) => Promise<void>): Promise<void> {
    const ws = this.currentSocket();
    for (const command of this.c.store.awaitingAck()) {
      if (command.expiresAt <= now) {
        const target = nextState(command.state, { kind: "expired" });
        if (target === undefined) continue;
        this.c.store.setState(command.id, target, now);
        await this.syncMirror(command.id);
        await this.c.audit({
          actor: { kind: "system" },
          action: "command.expired",
          subject: `command:${command.id}`,
          details: { host: this.c.store.host() ?? "", deliveries: command.deliveries },
        });
        await onExpired(command.id, target);
      } else if (ws !== undefined && command.state === "delivered" && (command.deliveredAt ?? 0) + redeliverAfterMs <= now) {
        await this.deliver(ws, command.id);
      }
    }
  }

  /** When the queue needs the object awake: the next expiry or redelivery. */
  nextWake(): number | undefined {
    return nextWake(this.c.store.awaitingAck(), { connected: this.currentSocket() !== undefined, redeliverAfterMs });
  }
}

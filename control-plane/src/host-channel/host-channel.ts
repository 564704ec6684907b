// HostChannel: one Durable Object per host. The class only wires its parts, each with one job:
// sockets.ts (the agent's WebSocket and its attachment), command-queue.ts (signed commands delivered
// until acknowledged, expired when nobody did), reports.ts (verifying, applying and auditing agent
// reports), manifests.ts (storing announced manifests), the host's rollback desk (one decision at a
// time, RPC below) and the alarm that wakes the object for all of them.
import { DurableObject } from "cloudflare:workers";
import { RewindError } from "../../../shared/errors.ts";
import type { AuditActor, NewAuditEntry } from "../../../shared/schemas/audit.ts";
import type { Preconditions } from "../../../shared/schemas/command.ts";
import type { PublicJwk } from "../../../shared/signing.ts";
import { resetStreakOnManualRollback } from "../alerts/wiring.ts";
import { appendAudit } from "../audit/append.ts";
import { loadConfig } from "../config.ts";
import { openDurableSqlite } from "../durable-sqlite.ts";
import type { Env } from "../env.ts";
import { errorFields, log } from "../log.ts";
import { notifyRollbackTransition } from "../notify/wiring.ts";
import { type DeskAnswer, RollbackDesk } from "../rollbacks/durable-object/desk.ts";
import { retiredHost, revokedRequester } from "../rollbacks/durable-object/lifecycle.ts";
import { outcomeOf, type RpcOutcome } from "../rollbacks/rpc-outcome.ts";
import type { RollbackRequestInput } from "../rollbacks/worker/request.ts";
import type { ChannelContext } from "./channel-context.ts";
import { CommandQueue, type EnqueueRequest } from "./command-queue.ts";
import { lastStateKey } from "./last-state.ts";
import migrations from "./do-sqlite/migrations/migrations.ts";
import { QueueStore } from "./queue-store.ts";
import { Reports } from "./reports.ts";
import { Sockets } from "./sockets.ts";
import { SerialQueue } from "../../../shared/serial-queue.ts";

const retireBusyHint = "let it finish, cancel it (rewind cancel), or abandon it if its agent is gone (rewind abandon), then retire the host";

export class HostChannel extends DurableObject<Env> {
  private readonly store: QueueStore;
  private readonly sockets: Sockets;
  private readonly queue: CommandQueue;
  private readonly desk: RollbackDesk;
  private readonly reports: Reports;
  /** D1 writes run one after another so the mirror never ends on an older state than the queue's. */
  private readonly mirrorQueue = new SerialQueue();
  /**
   * The agent's frames, handled one at a time in arrival order. Verifying a report and most of its
   * effects (D1, the audit log) are not storage operations, so the input gate lets the next frame in
   * meanwhile: without this, a report could be applied and audited before the one sent ahead of it.
   * One queue for the object rather than per socket: a host has one agent, and a report resent on a
   * new socket then also waits for its first copy instead of racing it.
   */
  private readonly frames = new SerialQueue();

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    const db = openDurableSqlite(ctx, migrations);
    this.store = new QueueStore(db);
    const context: ChannelContext = {
      env,
      state: ctx,
      store: this.store,
      identity: () => this.identity(),
      mirror: (task) => this.mirrorQueue.run(task),
      audit: (entry: NewAuditEntry) => appendAudit(env, entry),
      scheduleAlarm: () => this.scheduleAlarm(),
    };
    this.sockets = new Sockets(context, async (ws, host) => {
      await this.queue.deliverPending(ws);
      // A failed offer must not cost the agent its connection; the next connect offers again.
      await this.queue.offerKeys(host).catch((error: unknown) => log.error("host.key_offer_failed", { object: this.identity(), ...errorFields(error) }));
    });
    this.queue = new CommandQueue(context, () => this.sockets.current());
    this.desk = new RollbackDesk(
      db,
      env,
      {
        enqueueAction: async (action, createdBy, ttlSeconds, pre) => {
          await this.refuseIfRetired();
          return this.queue.enqueueAction(action, createdBy, ttlSeconds, pre);
        },
        hostState: () => this.ctx.storage.get<Preconditions>(lastStateKey),
        withdraw: (commandId) => this.queue.withdraw(commandId),
        commandState: (commandId) => this.store.get(commandId)?.state,
        commandExpiresAt: (commandId) => this.store.get(commandId)?.expiresAt,
      },
      () => {
        const config = loadConfig(env);
        return { stepTimeoutMs: config.rollbackStepTimeoutMs, watchMs: config.rollbackWatchMs };
      },
      [notifyRollbackTransition, resetStreakOnManualRollback],
    );
    this.reports = new Reports(context, this.sockets, this.queue, this.desk);
  }

  private identity(): string {
    return `HostChannel/${this.store.host() ?? this.ctx.id.toString()}`;
  }

  // Connections ----------------------------------------------------------------------------

  override fetch(request: Request): Promise<Response> {
    return this.sockets.accept(request);
  }

  override async webSocketMessage(ws: WebSocket, message: string | ArrayBuffer): Promise<void> {
    try {
      await this.frames.run(() => this.reports.onFrame(ws, message));
    } catch (error) {
      // This frame only: the queue goes on with the next, and an unacknowledged report is resent.
      log.error("host.frame_failed", { object: this.identity(), ...errorFields(error) });
    }
  }

  override webSocketClose(ws: WebSocket, code: number, reason: string): Promise<void> {
    return this.sockets.closed(ws, code, reason);
  }

  override webSocketError(ws: WebSocket, error: unknown): Promise<void> {
    return this.sockets.failed(ws, error);
  }

  /** RPC from the Worker: the host's key changed (re-enrollment): sockets opened with the old key go, and no more open. */
  rekey(key: PublicJwk, reason: string): Promise<void> {
    return this.sockets.rekey(key, reason);
  }

  // Commands (RPC from the Worker) ------------------------------------------------------------

  /** Stores a signed command, indexes it in D1, and sends it now if the agent is here. */
  async enqueue(request: EnqueueRequest): Promise<{ state: string }> {
    await this.refuseIfRetired();
    return this.queue.enqueue(request);
  }

  /** A command queued for a retired host (one that raced the retirement) would wait for whoever enrolls the name next. */
  private async refuseIfRetired(): Promise<void> {
    if (await this.sockets.retired()) throw new RewindError("NOT_FOUND", `host ${this.store.host() ?? ""} was retired`);
  }

  /** Key rotation (on connect, and RPC for a rollout): a key-update for the published keys the agent lacks. */
  offerKeys(host: string): Promise<string[]> {
    return this.queue.offerKeys(host);
  }

  // Rollbacks (RPC from the Worker) ---------------------------------------------------------

  private async rollbackRpc<T>(host: string, work: () => Promise<T>): Promise<RpcOutcome<T>> {
    this.store.setHost(host);
    const outcome = await outcomeOf(work);
    await this.scheduleAlarm();
    return outcome;
  }

  async requestRollback(input: RollbackRequestInput): Promise<RpcOutcome<DeskAnswer>> {
    return this.rollbackRpc(input.host, () => this.desk.request(input));
  }

  async approveRollback(
    host: string,
    rollbackId: string,
    approver: AuditActor & { kind: "token" },
  ): Promise<RpcOutcome<DeskAnswer & { approvals: number; approvalsRequired: number }>> {
    return this.rollbackRpc(host, () => this.desk.approve(rollbackId, approver));
  }

  async cancelRollback(host: string, rollbackId: string, actor: AuditActor): Promise<RpcOutcome<DeskAnswer & { cancelRequested: boolean }>> {
    return this.rollbackRpc(host, () => this.desk.cancel(rollbackId, actor));
  }

  /** RPC on token revocation (rollbacks/worker/revoked-requester.ts): that token's requests waiting for approval are cancelled. */
  async withdrawRequestsOf(host: string, tokenId: string, actor: AuditActor): Promise<RpcOutcome<string[]>> {
    return this.rollbackRpc(host, () => this.desk.cancelWaiting(revokedRequester(tokenId), actor));
  }

  /**
   * RPC for DELETE /v1/hosts/:host: its key stops working (sockets closed, connects refused until a
   * new enrollment), its requests waiting for approval and its unacknowledged commands are cancelled.
   * Refused, changing nothing, while one of its rollbacks is queued or running.
   */
  async retire(host: string, actor: AuditActor): Promise<RpcOutcome<{ cancelledRollbacks: string[]; cancelledCommands: string[] }>> {
    return this.rollbackRpc(host, async () => {
      const cancelledRollbacks = await this.desk.cancelWaiting(retiredHost, actor, retireBusyHint);
      await this.sockets.retire("host retired");
      const cancelledCommands = await this.queue.cancelUnacknowledged("host retired");
      return { cancelledRollbacks, cancelledCommands };
    });
  }

  async abandonRollback(host: string, rollbackId: string, actor: AuditActor, reason: string): Promise<RpcOutcome<DeskAnswer>> {
    return this.rollbackRpc(host, () => this.desk.abandon(rollbackId, actor, reason));
  }

  /** RPC from the Worker's cron (rollbacks/worker/sweep-lost.ts): the deadline check the alarm makes, for an alarm that never fired. */
  async sweepLostRollbacks(host: string): Promise<RpcOutcome<void>> {
    return this.rollbackRpc(host, () => this.desk.markLost(Date.now()));
  }

  // Alarm ------------------------------------------------------------------------------------

  /** Wakes the object for the earliest of: a command to expire or redeliver, a desk deadline, a silent socket. */
  private async scheduleAlarm(): Promise<void> {
    const timeout = loadConfig(this.env).agentTimeoutMs;
    const wakes = [this.queue.nextWake(), this.desk.nextWake(), ...this.sockets.silenceDeadlines(timeout)].filter((at): at is number => at !== undefined);
    if (wakes.length === 0) await this.ctx.storage.deleteAlarm();
    else await this.ctx.storage.setAlarm(Math.max(Math.min(...wakes), Date.now() + 10));
  }

  override async alarm(): Promise<void> {
    try {
      const now = Date.now();
      await this.sockets.forgetLostConnection(now);
      await this.desk.expireApprovals(now);
      await this.desk.markLost(now);
      await this.desk.retryLocked(now);
      await this.sockets.closeSilent(now, loadConfig(this.env).agentTimeoutMs);
      await this.queue.expireAndRedeliver(now, (commandId, state) => this.desk.onCommandState(commandId, state));
      await this.scheduleAlarm();
    } catch (error) {
      log.error("host.alarm_failed", { object: this.identity(), ...errorFields(error) });
      throw error;
    }
  }
}

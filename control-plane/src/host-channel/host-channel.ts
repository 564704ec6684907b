// HostChannel: one Durable Object per host. It holds the agent's WebSocket (Hibernation API), the
// host's command queue (its own SQLite), delivers each signed command until the agent acknowledges
// it, expires what nobody acknowledged in time, and verifies, records and audits every agent report.
// It also hosts the host's rollback desk (one decision at a time) and stores the manifests it receives.
import { DurableObject } from "cloudflare:workers";
import { isRewindError } from "../../../shared/errors.ts";
import type { AuditActor, NewAuditEntry } from "../../../shared/schemas/audit.ts";
import type { CommandAction, Preconditions } from "../../../shared/schemas/command.ts";
import { id as idSchema } from "../../../shared/schemas/common.ts";
import type { BackupManifest } from "../../../shared/schemas/manifest.ts";
import type { DownFrame } from "../../../shared/schemas/frames.ts";
import { clockToleranceSeconds, type PublicJwk, randomId, unverifiedClaim, verifyReport } from "../../../shared/signing.ts";
import { resetStreakOnManualRollback } from "../alerts/wiring.ts";
import { appendAudit, recordRefusal } from "../audit/append.ts";
import { indexManifest } from "../backups/catalog.ts";
import { loadConfig } from "../config.ts";
import type { Env } from "../env.ts";
import { keyUpdateFor, keyUpdateTtlSeconds, onKeyUpdateResult } from "../keys/host-keys.ts";
import { errorFields, log } from "../log.ts";
import { notifyRollbackTransition } from "../notify/wiring.ts";
import { type DeskAnswer, RollbackDesk } from "../rollbacks/durable-object/desk.ts";
import type { RollbackRequestInput } from "../rollbacks/worker/request.ts";
import { outcomeOf, type RpcOutcome } from "../rollbacks/rpc-outcome.ts";
import { awaitsAck, nextState, nextWake } from "./command-state.ts";
import { insertCommand, insertReport, markOffline, markOnline, syncCommand, touchHost } from "./d1-mirror.ts";
import { readHandoff } from "./handoff.ts";
import { lastStateKey, preconditionsOf } from "./last-state.ts";
import { QueueStore } from "./queue-store.ts";
import { readUpFrame } from "./read-frame.ts";
import { signHostCommand } from "./sign-command.ts";

/** An unacknowledged command is sent again this long after its last delivery. */
export const redeliverAfterMs = 15_000;
/** last_seen in D1 is refreshed by heartbeats at most this often. */
const lastSeenWriteEveryMs = 30_000;

interface Attachment {
  connectionId: string;
  host: string;
  agentVersion: string;
  key: PublicJwk;
  connectedAt: number;
  lastSeenWrite: number;
  /** Last frame of any kind from the agent: a socket silent past the agent timeout is closed. */
  lastFrameAt: number;
  /** Set when this object closed the socket and already recorded the disconnection. */
  closedByServer?: boolean;
}

export interface EnqueueRequest {
  host: string;
  commandId: string;
  jws: string;
  action: CommandAction;
  createdAt: number;
  createdBy: string;
  expiresAt: number;
}

function jsonError(status: number, code: string, message: string): Response {
  return Response.json({ error: { code, message } }, { status });
}

export class HostChannel extends DurableObject<Env> {
  private readonly store: QueueStore;
  private readonly desk: RollbackDesk;
  /** D1 writes run one after another so the mirror never ends on an older state than the queue's. */
  private mirrorQueue: Promise<unknown> = Promise.resolve();
  /** Reports being applied right now: a resent copy arriving meanwhile waits for the next resend. */
  private readonly applying = new Set<string>();

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.store = new QueueStore(ctx.storage.sql);
    this.desk = new RollbackDesk(ctx.storage.sql, env, {
      enqueueAction: (action, createdBy, ttlSeconds, pre) => this.enqueueAction(action, createdBy, ttlSeconds, pre),
      hostState: () => this.ctx.storage.get<Preconditions>(lastStateKey),
      withdraw: (commandId) => this.withdraw(commandId),
      commandState: (commandId) => this.store.get(commandId)?.state,
      commandExpiresAt: (commandId) => this.store.get(commandId)?.expiresAt,
    }, () => {
      const config = loadConfig(env);
      return { stepTimeoutMs: config.rollbackStepTimeoutMs, watchMs: config.rollbackWatchMs };
    }, [notifyRollbackTransition, resetStreakOnManualRollback]);
  }

  private identity(): string {
    return `HostChannel/${this.store.host() ?? this.ctx.id.toString()}`;
  }

  private mirror(task: () => Promise<void>): Promise<void> {
    const run = this.mirrorQueue.then(task);
    // The caller gets the failure through `run`; the chain itself must go on for the next write.
    this.mirrorQueue = run.catch(() => undefined);
    return run;
  }

  private syncCommandMirror(id: string): Promise<void> {
    return this.mirror(async () => {
      const command = this.store.get(id);
      if (command !== undefined) await syncCommand(this.env, command);
    });
  }

  private audit(entry: NewAuditEntry): Promise<unknown> {
    return appendAudit(this.env, entry);
  }

  // Connections ----------------------------------------------------------------------------

  override async fetch(request: Request): Promise<Response> {
    let accepted: WebSocket | undefined;
    try {
      if (request.headers.get("upgrade")?.toLowerCase() !== "websocket") {
        return jsonError(426, "BAD_REQUEST", "expected a WebSocket upgrade");
      }
      const facts = readHandoff(request);
      if (facts === undefined) return jsonError(400, "BAD_REQUEST", "missing connection hand-off");
      const now = Date.now();
      // Kept as long as the token still verifies (its exp plus the tolerated clock skew), not only until exp.
      if (!this.store.useConnectToken(facts.jti, (facts.exp + clockToleranceSeconds) * 1000, now)) {
        // Whoever holds a copy can replay it until it expires: counted and folded like other refusals.
        const refusal = { actor: { kind: "system" as const }, action: "agent.connect-refused", subject: `host:${facts.host}`, details: { code: "REPLAYED", reason: "connect token already used" } };
        try {
          await recordRefusal(this.env, { entry: refusal, address: request.headers.get("cf-connecting-ip") ?? undefined, host: facts.host });
        } catch (error) {
          if (!isRewindError(error, "RATE_LIMITED")) throw error;
          return jsonError(429, "RATE_LIMITED", error.message);
        }
        return jsonError(401, "UNAUTHORIZED", "connect token already used: sign a fresh one for each connection");
      }
      this.store.setHost(facts.host);
      const previous = this.ctx.getWebSockets(facts.host).filter((ws) => !this.attachment(ws).closedByServer);
      const pair = new WebSocketPair();
      const [client, server] = [pair[0], pair[1]];
      const attachment: Attachment = {
        connectionId: randomId(),
        host: facts.host,
        agentVersion: facts.agentVersion,
        key: facts.key,
        connectedAt: now,
        lastSeenWrite: now,
        lastFrameAt: now,
      };
      this.ctx.acceptWebSocket(server, [facts.host]);
      accepted = server;
      server.serializeAttachment(attachment);
      this.store.setOnlineConnection(attachment.connectionId);
      this.send(server, { t: "welcome", host: facts.host, serverTime: now });
      for (const old of previous) await this.closeSocket(old, 4000, "replaced by a newer connection");
      await this.mirror(() => markOnline(this.env, facts.host, attachment.connectionId, facts.agentVersion, now));
      await this.audit({
        actor: { kind: "host", host: facts.host },
        action: "agent.connected",
        subject: `host:${facts.host}`,
        details: { agentVersion: facts.agentVersion, replaced: previous.length },
      });
      await this.deliverPending(server);
      // A failed offer must not cost the agent its connection; the next connect offers again.
      await this.offerKeys(facts.host).catch((error: unknown) => log.error("host.key_offer_failed", { object: this.identity(), ...errorFields(error) }));
      await this.scheduleAlarm();
      return new Response(null, { status: 101, webSocket: client });
    } catch (error) {
      log.error("host.connect_failed", { object: this.identity(), ...errorFields(error) });
      if (accepted !== undefined) await this.closeSocket(accepted, 1011, "control plane error while accepting");
      return jsonError(500, "INTERNAL", "could not accept the agent connection; see the control plane's logs");
    }
  }

  private attachment(ws: WebSocket): Attachment {
    return ws.deserializeAttachment() as Attachment;
  }

  /** The newest open socket, if the agent is connected. */
  private currentSocket(): WebSocket | undefined {
    let best: WebSocket | undefined;
    for (const ws of this.ctx.getWebSockets()) {
      if (ws.readyState !== WebSocket.OPEN) continue;
      if (best === undefined || this.attachment(ws).connectedAt > this.attachment(best).connectedAt) best = ws;
    }
    return best;
  }

  private send(ws: WebSocket, frame: DownFrame): void {
    ws.send(JSON.stringify(frame));
  }

  override async webSocketMessage(ws: WebSocket, message: string | ArrayBuffer): Promise<void> {
    try {
      await this.onFrame(ws, message);
    } catch (error) {
      log.error("host.frame_failed", { object: this.identity(), ...errorFields(error) });
    }
  }

  override async webSocketClose(ws: WebSocket, code: number, reason: string): Promise<void> {
    try {
      const attachment = this.attachment(ws);
      // Echo the close so the agent's socket finishes its closing handshake under hibernation.
      if (ws.readyState === WebSocket.CLOSING || ws.readyState === WebSocket.OPEN) ws.close(code === 1005 ? 1000 : code, reason);
      if (!attachment.closedByServer) await this.disconnected(attachment, code, reason);
    } catch (error) {
      log.error("host.close_failed", { object: this.identity(), ...errorFields(error) });
    }
  }

  override async webSocketError(ws: WebSocket, error: unknown): Promise<void> {
    log.warn("host.socket_error", { object: this.identity(), ...errorFields(error) });
    try {
      const attachment = this.attachment(ws);
      if (!attachment.closedByServer) await this.disconnected(attachment, 1006, "socket error");
    } catch (failure) {
      log.error("host.close_failed", { object: this.identity(), ...errorFields(failure) });
    }
  }

  private async disconnected(attachment: Attachment, code: number, reason: string): Promise<void> {
    const now = Date.now();
    if (this.store.onlineConnection() === attachment.connectionId) this.store.setOnlineConnection(undefined);
    await this.mirror(() => markOffline(this.env, attachment.host, attachment.connectionId, now));
    await this.audit({
      actor: { kind: "host", host: attachment.host },
      action: "agent.disconnected",
      subject: `host:${attachment.host}`,
      details: { code, reason },
    });
    await this.scheduleAlarm();
  }

  // Frames ---------------------------------------------------------------------------------

  /** Closes a socket on this side and records the disconnection once. */
  private async closeSocket(ws: WebSocket, code: number, reason: string): Promise<void> {
    const attachment = { ...this.attachment(ws), closedByServer: true };
    ws.serializeAttachment(attachment);
    if (ws.readyState === WebSocket.OPEN) ws.close(code, reason);
    await this.disconnected(attachment, code, reason);
  }

  /** RPC from the Worker: the host's key changed (re-enrollment), so sockets opened with the old key go. */
  async disconnect(reason: string): Promise<void> {
    for (const ws of this.ctx.getWebSockets()) {
      if (!this.attachment(ws).closedByServer) await this.closeSocket(ws, 4002, reason);
    }
  }

  private async onFrame(ws: WebSocket, message: string | ArrayBuffer): Promise<void> {
    const attachment = { ...this.attachment(ws), lastFrameAt: Date.now() };
    ws.serializeAttachment(attachment);
    const reading = readUpFrame(message);
    if (!reading.ok) {
      await this.refuseFrame(attachment, reading.code, reading.reason);
      if (reading.code === "PAYLOAD_TOO_LARGE") await this.closeSocket(ws, 1009, "frame too large");
      return;
    }
    const frame = reading.frame;
    if (frame.t === "heartbeat") {
      this.send(ws, { t: "heartbeat", ts: Date.now() });
      await this.heartbeat(ws, attachment);
      return;
    }
    await this.onReport(ws, attachment, frame.jws);
  }

  private async heartbeat(ws: WebSocket, attachment: Attachment): Promise<void> {
    const now = Date.now();
    if (now - attachment.lastSeenWrite < lastSeenWriteEveryMs) return;
    ws.serializeAttachment({ ...attachment, lastSeenWrite: now });
    await this.mirror(() => touchHost(this.env, attachment.host, now));
  }

  private async refuseFrame(attachment: Attachment, code: string, reason: string): Promise<void> {
    log.warn("host.frame_refused", { object: this.identity(), code, reason });
    await this.audit({
      actor: { kind: "host", host: attachment.host },
      action: "agent.frame-refused",
      subject: `host:${attachment.host}`,
      details: { code, reason },
    });
  }

  private async onReport(ws: WebSocket, attachment: Attachment, jws: string): Promise<void> {
    const actor: AuditActor = { kind: "host", host: attachment.host };
    let claims: Awaited<ReturnType<typeof verifyReport>>;
    try {
      claims = await verifyReport(jws, { key: attachment.key, host: attachment.host });
    } catch (error) {
      if (!isRewindError(error)) throw error;
      log.warn("host.report_refused", { object: this.identity(), code: error.code, reason: error.message });
      await this.audit({
        actor,
        action: "agent.report-refused",
        subject: `host:${attachment.host}`,
        details: { code: error.code, reason: error.message },
      });
      // Resending cannot make a bad signature good (e.g. a key replaced by re-enrollment): acknowledge
      // it so the agent's outbox lets go; the refusal itself is in the audit log.
      const refusedId = idSchema.safeParse(unverifiedClaim(jws, "jti"));
      if (refusedId.success) this.send(ws, { t: "report-ack", reportId: refusedId.data });
      return;
    }
    const now = Date.now();
    const reportId = claims.jti;
    if (this.store.isReportSeen(reportId)) {
      this.send(ws, { t: "report-ack", reportId });
      return;
    }
    if (this.applying.has(reportId)) return;
    this.applying.add(reportId);
    try {
      await this.applyReport(ws, attachment, jws, claims, now);
    } finally {
      this.applying.delete(reportId);
    }
  }

  private async applyReport(
    ws: WebSocket,
    attachment: Attachment,
    jws: string,
    claims: Awaited<ReturnType<typeof verifyReport>>,
    now: number,
  ): Promise<void> {
    const actor: AuditActor = { kind: "host", host: attachment.host };
    const reportId = claims.jti;
    const report = claims.report;
    const commandId = "commandId" in report ? report.commandId : undefined;
    // Every effect below is idempotent (no backward state moves, keyed inserts), and the report counts
    // as seen only after all of them: an object restarted half-way applies the agent's resend again.
    const command = commandId === undefined ? undefined : this.store.get(commandId);
    const target = command === undefined ? undefined : nextState(command.state, { kind: "report", report });
    if (command !== undefined && target !== undefined) {
      const outcome = report.kind === "result" || report.kind === "rejected" ? JSON.stringify(report) : undefined;
      this.store.setState(command.id, target, now, outcome);
    }
    await this.mirror(() =>
      insertReport(this.env, { id: reportId, commandId, host: attachment.host, kind: report.kind, body: report, receivedAt: now }),
    );
    // Synced even without a transition: a retransmit after a failed attempt repairs the D1 copy.
    if (command !== undefined) await this.syncCommandMirror(command.id);
    if (command !== undefined) await this.desk.onReport(command.id, report, attachment.host);
    // An agent announces its manifests on every reconnect: one already stored unchanged is acknowledged
    // without another audit entry (its first announcement and backup.manifest-stored are there).
    const repeated = report.kind === "manifest" && !(await this.storeManifest(attachment.host, report.manifest, reportId));
    if (report.kind === "state") {
      const state = preconditionsOf(report);
      await (state === undefined ? this.ctx.storage.delete(lastStateKey) : this.ctx.storage.put(lastStateKey, state));
    }
    if (!repeated) {
      await this.audit({
        actor,
        action: "agent.report",
        subject: commandId === undefined ? `host:${attachment.host}` : `command:${commandId}`,
        details: {
          reportId,
          kind: report.kind,
          ...(target === undefined ? {} : { state: target }),
          ...(command === undefined && commandId !== undefined ? { unknownCommand: true } : {}),
        },
        agentJws: jws,
      });
    }
    // After the report's own entry: a promotion it allows follows it in the log.
    if (command !== undefined) await onKeyUpdateResult(this.env, attachment.host, report);
    this.store.markReportSeen(reportId, now);
    this.send(ws, { t: "report-ack", reportId });
    await this.scheduleAlarm();
  }

  // Queue ----------------------------------------------------------------------------------

  /** RPC from the Worker: store a signed command, index it in D1, and send it now if the agent is here. */
  async enqueue(request: EnqueueRequest): Promise<{ state: string }> {
    this.store.setHost(request.host);
    this.store.insert({ id: request.commandId, jws: request.jws, createdAt: request.createdAt, expiresAt: request.expiresAt });
    await this.mirror(() => insertCommand(this.env, { ...request, id: request.commandId }));
    const ws = this.currentSocket();
    if (ws !== undefined) await this.deliver(ws, request.commandId);
    await this.scheduleAlarm();
    return { state: this.store.get(request.commandId)?.state ?? "queued" };
  }

  private async deliverPending(ws: WebSocket): Promise<void> {
    const now = Date.now();
    for (const command of this.store.awaitingAck()) {
      if (command.expiresAt > now) await this.deliver(ws, command.id);
    }
  }

  private async deliver(ws: WebSocket, id: string): Promise<void> {
    const command = this.store.get(id);
    if (command === undefined || !awaitsAck(command.state)) return;
    // Recorded before sending: an ack racing back must find the command already delivered.
    this.store.recordDelivery(id, Date.now());
    this.send(ws, { t: "command", id, jws: command.jws });
    await this.syncCommandMirror(id);
    if (command.deliveries === 0) {
      await this.audit({
        actor: { kind: "system" },
        action: "command.delivered",
        subject: `command:${id}`,
        details: { host: this.store.host() ?? "" },
      });
    }
  }

  /** Signs `action` for this host and queues it like an API-queued command. */
  private async enqueueAction(action: CommandAction, createdBy: string, ttlSeconds: number, pre?: Preconditions): Promise<{ commandId: string }> {
    const host = this.store.host();
    if (host === undefined) throw new TypeError("the host channel does not know its host yet");
    const now = new Date();
    const { claims, jws } = await signHostCommand(this.env, host, action, { ttlSeconds, now, ...(pre === undefined ? {} : { preconditions: pre }) });
    await this.enqueue({ host, commandId: claims.jti, jws, action, createdAt: now.getTime(), createdBy, expiresAt: claims.exp * 1000 });
    await this.audit({
      actor: { kind: "system" },
      action: "command.queued",
      subject: `command:${claims.jti}`,
      details: { host, action, expiresAt: new Date(claims.exp * 1000).toISOString(), ...(pre === undefined ? {} : { pre }) },
    });
    return { commandId: claims.jti };
  }

  /** Key rotation (on connect, and RPC for a rollout): a key-update for the published keys the agent lacks. */
  async offerKeys(host: string): Promise<string[]> {
    this.store.setHost(host);
    const action = await keyUpdateFor(this.env, host);
    if (action?.type !== "key-update") return [];
    await this.enqueueAction(action, "system", keyUpdateTtlSeconds);
    return action.keys.map((key) => key.kid);
  }

  /** Takes back a command never sent to the agent (its rollback was cancelled). */
  private async withdraw(commandId: string): Promise<void> {
    const command = this.store.get(commandId);
    if (command === undefined || command.state !== "queued") return;
    this.store.setState(commandId, "cancelled", Date.now());
    await this.syncCommandMirror(commandId);
    await this.audit({ actor: { kind: "system" }, action: "command.withdrawn", subject: `command:${commandId}`, details: { host: this.store.host() ?? "" } });
    await this.scheduleAlarm();
  }

  /**
   * A verified manifest from the agent: kept in object storage and indexed, unless it names another
   * host. False when the same manifest was already stored: nothing changed.
   */
  private async storeManifest(host: string, manifest: BackupManifest, reportId: string): Promise<boolean> {
    if (manifest.host !== host) {
      await this.audit({
        actor: { kind: "host", host },
        action: "backup.manifest-refused",
        subject: `host:${host}`,
        details: { reportId, backupId: manifest.backupId, reason: `manifest names host ${manifest.host}, but ${host} signed it` },
      });
      return true;
    }
    const { row, stored } = await indexManifest(this.env, manifest, Date.now());
    if (!stored) return false;
    await this.audit({
      actor: { kind: "host", host },
      action: "backup.manifest-stored",
      subject: `backup:${host}/${manifest.backupId}`,
      details: { reportId, key: row.objectKey, storage: row.storage, sha256: row.sha256, timestamp: row.timestamp, gitCommit: row.gitCommit },
    });
    return true;
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

  async abandonRollback(host: string, rollbackId: string, actor: AuditActor, reason: string): Promise<RpcOutcome<DeskAnswer>> {
    return this.rollbackRpc(host, () => this.desk.abandon(rollbackId, actor, reason));
  }

  private async scheduleAlarm(): Promise<void> {
    const timeout = loadConfig(this.env).agentTimeoutMs;
    const commandWake = nextWake(this.store.awaitingAck(), { connected: this.currentSocket() !== undefined, redeliverAfterMs });
    const deskWake = this.desk.nextWake();
    const socketWakes = this.ctx.getWebSockets().map((ws) => this.attachment(ws).lastFrameAt + timeout);
    const wakes = [...(commandWake === undefined ? [] : [commandWake]), ...(deskWake === undefined ? [] : [deskWake]), ...socketWakes];
    const wake = wakes.length === 0 ? undefined : Math.min(...wakes);
    if (wake === undefined) await this.ctx.storage.deleteAlarm();
    else await this.ctx.storage.setAlarm(Math.max(wake, Date.now() + 10));
  }

  /**
   * A runtime restart drops sockets without any close event: D1 would show the host online forever.
   * The timeout alarm survives the restart, finds no socket, and records the loss here.
   */
  private async forgetLostConnection(now: number): Promise<void> {
    const connectionId = this.store.onlineConnection();
    const host = this.store.host();
    if (connectionId === undefined || host === undefined || this.ctx.getWebSockets().length > 0) return;
    this.store.setOnlineConnection(undefined);
    await this.mirror(() => markOffline(this.env, host, connectionId, now));
    await this.audit({
      actor: { kind: "system" },
      action: "agent.disconnected",
      subject: `host:${host}`,
      details: { code: 1006, reason: "connection lost when the control plane restarted" },
    });
  }

  override async alarm(): Promise<void> {
    try {
      const now = Date.now();
      const timeout = loadConfig(this.env).agentTimeoutMs;
      await this.forgetLostConnection(now);
      await this.desk.expireApprovals(now);
      await this.desk.markLost(now);
      await this.desk.retryLocked(now);
      for (const socket of this.ctx.getWebSockets()) {
        const silentMs = now - this.attachment(socket).lastFrameAt;
        if (silentMs >= timeout) await this.closeSocket(socket, 4001, `no frame from the agent for ${Math.round(silentMs / 1000)} s`);
      }
      const ws = this.currentSocket();
      for (const command of this.store.awaitingAck()) {
        if (command.expiresAt <= now) {
          const target = nextState(command.state, { kind: "expired" });
          if (target === undefined) continue;
          this.store.setState(command.id, target, now);
          await this.syncCommandMirror(command.id);
          await this.audit({
            actor: { kind: "system" },
            action: "command.expired",
            subject: `command:${command.id}`,
            details: { host: this.store.host() ?? "", deliveries: command.deliveries },
          });
          await this.desk.onCommandState(command.id, target);
        } else if (ws !== undefined && command.state === "delivered" && (command.deliveredAt ?? 0) + redeliverAfterMs <= now) {
          await this.deliver(ws, command.id);
        }
      }
      await this.scheduleAlarm();
    } catch (error) {
      log.error("host.alarm_failed", { object: this.identity(), ...errorFields(error) });
      throw error;
    }
  }
}

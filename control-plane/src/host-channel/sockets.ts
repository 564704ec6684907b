// The agent's WebSocket (Hibernation API): accepting a connection from the Worker's hand-off, the
// per-socket attachment, closing (ours or the agent's) with the disconnection recorded once, and the
// sockets a silent agent or a runtime restart left behind.
import { isRewindError } from "../../../shared/errors.ts";
import { clockToleranceSeconds, type PublicJwk, randomId } from "../../../shared/signing.ts";
import type { DownFrame } from "../../../shared/schemas/frames.ts";
import { recordRefusal } from "../audit/append.ts";
import { errorFields, log } from "../log.ts";
import type { ChannelContext } from "./channel-context.ts";
import { markOffline, markOnline } from "./d1-mirror.ts";
import { readHandoff } from "./handoff.ts";

/** The host's key as its last enrollment set it (absent for hosts enrolled before it was kept: the Worker's check stands alone). */
const hostKeyStorageKey = "hostKey";
/** Set when the host was retired: no socket until an enrollment sets a key again. */
const retiredStorageKey = "retired";

export interface Attachment {
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
  /** CF-Connecting-IP of the connection, to count the refusals of what it sends. */
  address?: string;
}

export function attachmentOf(ws: WebSocket): Attachment {
  return ws.deserializeAttachment() as Attachment;
}

export function send(ws: WebSocket, frame: DownFrame): void {
  ws.send(JSON.stringify(frame));
}

function jsonError(status: number, code: string, message: string): Response {
  return Response.json({ error: { code, message } }, { status });
}

export class Sockets {
  constructor(
    private readonly c: ChannelContext,
    /** Runs once a new socket is accepted and recorded: deliver what waits, offer keys. */
    private readonly onAccepted: (ws: WebSocket, host: string) => Promise<void>,
  ) {}

  /** The newest open socket, if the agent is connected. */
  current(): WebSocket | undefined {
    let best: WebSocket | undefined;
    for (const ws of this.c.state.getWebSockets()) {
      if (ws.readyState !== WebSocket.OPEN) continue;
      if (best === undefined || attachmentOf(ws).connectedAt > attachmentOf(best).connectedAt) best = ws;
    }
    return best;
  }

  async accept(request: Request): Promise<Response> {
    let accepted: WebSocket | undefined;
    try {
      if (request.headers.get("upgrade")?.toLowerCase() !== "websocket") {
        return jsonError(426, "BAD_REQUEST", "expected a WebSocket upgrade");
      }
      const facts = readHandoff(request);
      if (facts === undefined) return jsonError(400, "BAD_REQUEST", "missing connection hand-off");
      const now = Date.now();
      // Kept as long as the token still verifies (its exp plus the tolerated clock skew), not only until exp.
      if (!this.c.store.useConnectToken(facts.jti, (facts.exp + clockToleranceSeconds) * 1000, now)) {
        // Whoever holds a copy can replay it until it expires: counted and folded like other refusals.
        return this.refuse(request, facts.host, "REPLAYED", "connect token already used: sign a fresh one for each connection");
      }
      // The Worker checked the key against D1 before a re-enrollment may have replaced it; read here,
      // with nothing awaited until the socket is accepted, so a re-key either refuses this one or closes it.
      const stored = await this.c.state.storage.get<unknown>([hostKeyStorageKey, retiredStorageKey]);
      if (stored.get(retiredStorageKey) === true) {
        return this.refuse(request, facts.host, "HOST_RETIRED", "the host was retired: enroll it again (a new enrollment) to connect");
      }
      const current = stored.get(hostKeyStorageKey) as PublicJwk | undefined;
      if (current !== undefined && current.x !== facts.key.x) {
        return this.refuse(request, facts.host, "KEY_REPLACED", "the host was re-enrolled with a new key: this connect token was signed with the old one");
      }
      this.c.store.setHost(facts.host);
      const address = request.headers.get("cf-connecting-ip");
      const previous = this.c.state.getWebSockets(facts.host).filter((ws) => !attachmentOf(ws).closedByServer);
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
        ...(address === null ? {} : { address }),
      };
      this.c.state.acceptWebSocket(server, [facts.host]);
      accepted = server;
      server.serializeAttachment(attachment);
      this.c.store.setOnlineConnection(attachment.connectionId);
      send(server, { t: "welcome", host: facts.host, serverTime: now });
      for (const old of previous) await this.close(old, 4000, "replaced by a newer connection");
      await this.c.mirror(() => markOnline(this.c.env, facts.host, attachment.connectionId, facts.agentVersion, now));
      await this.c.audit({
        actor: { kind: "host", host: facts.host },
        action: "agent.connected",
        subject: `host:${facts.host}`,
        details: { agentVersion: facts.agentVersion, replaced: previous.length },
      });
      await this.onAccepted(server, facts.host);
      await this.c.scheduleAlarm();
      return new Response(null, { status: 101, webSocket: client });
    } catch (error) {
      log.error("host.connect_failed", { object: this.c.identity(), ...errorFields(error) });
      if (accepted !== undefined) await this.close(accepted, 1011, "control plane error while accepting");
      return jsonError(500, "INTERNAL", "could not accept the agent connection; see the control plane's logs");
    }
  }

  private async refuse(request: Request, host: string, code: string, reason: string): Promise<Response> {
    const refusal = { actor: { kind: "system" as const }, action: "agent.connect-refused", subject: `host:${host}`, details: { code, reason } };
    try {
      await recordRefusal(this.c.env, { entry: refusal, address: request.headers.get("cf-connecting-ip") ?? undefined, host });
    } catch (error) {
      if (!isRewindError(error, "RATE_LIMITED")) throw error;
      return jsonError(429, "RATE_LIMITED", error.message);
    }
    return jsonError(401, "UNAUTHORIZED", reason);
  }

  /** An enrollment set the host's key: from now on only `key` connects, and sockets opened before go. */
  async rekey(key: PublicJwk, reason: string): Promise<void> {
    await this.c.state.storage.put(hostKeyStorageKey, key);
    await this.c.state.storage.delete(retiredStorageKey);
    await this.closeAll(4002, reason);
  }

  /** The host was retired: no key connects any more, and open sockets go (4003). */
  async retire(reason: string): Promise<void> {
    await this.c.state.storage.put(retiredStorageKey, true);
    await this.c.state.storage.delete(hostKeyStorageKey);
    await this.closeAll(4003, reason);
  }

  async retired(): Promise<boolean> {
    return (await this.c.state.storage.get<boolean>(retiredStorageKey)) === true;
  }

  /** The agent closed the socket. */
  async closed(ws: WebSocket, code: number, reason: string): Promise<void> {
    try {
      const attachment = attachmentOf(ws);
      // Echo the close so the agent's socket finishes its closing handshake under hibernation.
      if (ws.readyState === WebSocket.CLOSING || ws.readyState === WebSocket.OPEN) ws.close(code === 1005 ? 1000 : code, reason);
      if (!attachment.closedByServer) await this.disconnected(attachment, code, reason);
    } catch (error) {
      log.error("host.close_failed", { object: this.c.identity(), ...errorFields(error) });
    }
  }

  async failed(ws: WebSocket, error: unknown): Promise<void> {
    log.warn("host.socket_error", { object: this.c.identity(), ...errorFields(error) });
    try {
      const attachment = attachmentOf(ws);
      if (!attachment.closedByServer) await this.disconnected(attachment, 1006, "socket error");
    } catch (failure) {
      log.error("host.close_failed", { object: this.c.identity(), ...errorFields(failure) });
    }
  }

  private async disconnected(attachment: Attachment, code: number, reason: string): Promise<void> {
    const now = Date.now();
    if (this.c.store.onlineConnection() === attachment.connectionId) this.c.store.setOnlineConnection(undefined);
    await this.c.mirror(() => markOffline(this.c.env, attachment.host, attachment.connectionId, now));
    await this.c.audit({
      actor: { kind: "host", host: attachment.host },
      action: "agent.disconnected",
      subject: `host:${attachment.host}`,
      details: { code, reason },
    });
    await this.c.scheduleAlarm();
  }

  /** Closes a socket on this side and records the disconnection once. */
  async close(ws: WebSocket, code: number, reason: string): Promise<void> {
    const attachment = { ...attachmentOf(ws), closedByServer: true };
    ws.serializeAttachment(attachment);
    if (ws.readyState === WebSocket.OPEN) ws.close(code, reason);
    await this.disconnected(attachment, code, reason);
  }

  async closeAll(code: number, reason: string): Promise<void> {
    for (const ws of this.c.state.getWebSockets()) {
      if (!attachmentOf(ws).closedByServer) await this.close(ws, code, reason);
    }
  }

  /** Closes sockets whose agent sent nothing for `timeoutMs`. */
  async closeSilent(now: number, timeoutMs: number): Promise<void> {
    for (const socket of this.c.state.getWebSockets()) {
      const silentMs = now - attachmentOf(socket).lastFrameAt;
      if (silentMs >= timeoutMs) await this.close(socket, 4001, `no frame from the agent for ${Math.round(silentMs / 1000)} s`);
    }
  }

  /** When each socket counts as silent. */
  silenceDeadlines(timeoutMs: number): number[] {
    return this.c.state.getWebSockets().map((ws) => attachmentOf(ws).lastFrameAt + timeoutMs);
  }

  /**
   * A runtime restart drops sockets without any close event: D1 would show the host online forever.
   * The timeout alarm survives the restart, finds no socket, and records the loss here.
   */
  async forgetLostConnection(now: number): Promise<void> {
    const connectionId = this.c.store.onlineConnection();
    const host = this.c.store.host();
    if (connectionId === undefined || host === undefined || this.c.state.getWebSockets().length > 0) return;
    this.c.store.setOnlineConnection(undefined);
    await this.c.mirror(() => markOffline(this.c.env, host, connectionId, now));
    await this.c.audit({
      actor: { kind: "system" },
      action: "agent.disconnected",
      subject: `host:${host}`,
      details: { code: 1006, reason: "connection lost when the control plane restarted" },
    });
  }
}

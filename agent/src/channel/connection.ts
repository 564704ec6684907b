// The agent's only network path: an outbound WebSocket to the control plane, authenticated per
// attempt with a fresh short-lived token signed by the agent's own key, kept alive by heartbeats
// and re-dialled with capped, jittered backoff whenever it drops. It never listens on a port.
import WebSocket from "ws";
import { heartbeatIntervalMs } from "../../../shared/heartbeat.ts";
import { maxFrameBytes, type UpFrame } from "../../../shared/schemas/frames.ts";
import { type PrivateJwk, signConnectToken } from "../../../shared/signing.ts";
import type { Logger } from "../log.ts";
import { type BackoffPolicy, afterDisconnect, defaultBackoff, validateBackoff } from "./backoff.ts";
import { Heartbeat } from "./heartbeat.ts";

export interface ConnectionOptions {
  /** Control plane base URL (http or https); the socket goes to /v1/agents/connect. */
  url: string;
  host: string;
  agentKey: PrivateJwk;
  agentVersion: string;
  log: Logger;
  /** Text of every frame received; frames are parsed and verified by the caller. */
  onFrame(data: string): void;
  /** The socket is open and authenticated (the server accepted the upgrade). */
  onOpen?(): void;
  onClose?(): void;
  backoff?: BackoffPolicy;
  heartbeatIntervalMs?: number;
  heartbeatTimeoutMs?: number;
  random?: () => number;
}

/**
 * Frames up to this size reach the caller, which refuses (and reports) anything above maxFrameBytes;
 * beyond it the socket itself is dropped so a hostile peer cannot make the agent buffer without bound.
 */
export const transportMaxPayload = 4 * maxFrameBytes;

export function connectUrl(base: string): string {
  const url = new URL(`${base.replace(/\/+$/, "")}/v1/agents/connect`);
  url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
  return url.toString();
}

function rawText(data: WebSocket.RawData): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString("utf8");
  if (data instanceof ArrayBuffer) return Buffer.from(data).toString("utf8");
  return data.toString("utf8");
}

export class AgentConnection {
  readonly #options: ConnectionOptions;
  readonly #backoff: BackoffPolicy;
  readonly #url: string;
  #socket: WebSocket | undefined;
  #attempt = 0;
  #openedAt: number | undefined;
  #retryTimer: ReturnType<typeof setTimeout> | undefined;
  #stopped = true;
  #closed: Promise<void> = Promise.resolve();
  #heartbeat: Heartbeat;

  constructor(options: ConnectionOptions) {
    this.#options = options;
    this.#backoff = validateBackoff(options.backoff ?? defaultBackoff);
    this.#url = connectUrl(options.url);
    this.#heartbeat = new Heartbeat({
      intervalMs: options.heartbeatIntervalMs ?? heartbeatIntervalMs,
      timeoutMs: options.heartbeatTimeoutMs ?? 45_000,
      send: () => {
        const socket = this.#socket;
        if (socket?.readyState !== WebSocket.OPEN) return;
        socket.ping();
        this.send({ t: "heartbeat", ts: Date.now() });
      },
      onDead: (silentForMs) => {
        options.log.warn({ silentForMs }, "control plane silent; dropping the socket to reconnect");
        this.#socket?.terminate();
      },
    });
  }

  get connected(): boolean {
    return this.#socket?.readyState === WebSocket.OPEN;
  }

  start(): void {
    if (!this.#stopped) return;
    this.#stopped = false;
    void this.#dial();
  }

  /** False when there is no open socket; the caller keeps what it could not send (see Outbox). */
  send(frame: UpFrame): boolean {
    const socket = this.#socket;
    if (socket?.readyState !== WebSocket.OPEN) return false;
    socket.send(JSON.stringify(frame));
    return true;
  }

  /** Stops reconnecting and closes the socket; resolves once it is closed. */
  async close(): Promise<void> {
    this.#stopped = true;
    if (this.#retryTimer !== undefined) clearTimeout(this.#retryTimer);
    this.#heartbeat.stop();
    const socket = this.#socket;
    if (socket !== undefined && socket.readyState !== WebSocket.CLOSED) {
      socket.close(1000, "agent stopping");
      const forced = setTimeout(() => socket.terminate(), 2_000);
      await this.#closed;
      clearTimeout(forced);
    }
  }

  async #dial(): Promise<void> {
    if (this.#stopped) return;
    const { log } = this.#options;
    let token: string;
    try {
      token = await signConnectToken(this.#options.host, this.#options.agentVersion, this.#options.agentKey);
    } catch (error) {
      log.error({ err: error }, "cannot sign a connect token with the agent key");
      this.#scheduleRetry(undefined);
      return;
    }
    if (this.#stopped) return;
    const socket = new WebSocket(this.#url, {
      headers: { authorization: `Bearer ${token}` },
      maxPayload: transportMaxPayload,
      handshakeTimeout: 15_000,
    });
    this.#socket = socket;
    let settle: () => void = () => undefined;
    this.#closed = new Promise((resolve) => {
      settle = resolve;
    });
    socket.on("open", () => {
      this.#openedAt = Date.now();
      this.#heartbeat.start();
      log.info({ url: this.#url, attempt: this.#attempt }, "connected to control plane");
      this.#options.onOpen?.();
    });
    socket.on("message", (data, isBinary) => {
      this.#heartbeat.heard();
      const text = rawText(data);
      if (isBinary) log.warn({ bytes: text.length }, "binary frame received; treating it as text");
      this.#options.onFrame(text);
    });
    socket.on("pong", () => this.#heartbeat.heard());
    socket.on("unexpected-response", (request, response) => {
      const chunks: Buffer[] = [];
      response.on("data", (chunk: Buffer) => {
        if (chunks.length < 16) chunks.push(chunk);
      });
      response.on("end", () => {
        log.error(
          { status: response.statusCode, body: Buffer.concat(chunks).toString("utf8").slice(0, 500) },
          "control plane refused the connection (is this host enrolled with this key?)",
        );
        request.destroy();
        socket.terminate();
      });
    });
    socket.on("error", (error) => {
      log.warn({ error: error.message, code: (error as { code?: unknown }).code }, "socket error");
    });
    socket.on("close", (code, reason) => {
      this.#heartbeat.stop();
      const connectedFor = this.#openedAt === undefined ? undefined : Date.now() - this.#openedAt;
      this.#openedAt = undefined;
      if (this.#socket === socket) this.#socket = undefined;
      settle();
      if (connectedFor !== undefined) {
        log.warn({ code, reason: reason.toString("utf8"), connectedForMs: connectedFor }, "disconnected from control plane");
        this.#options.onClose?.();
      }
      this.#scheduleRetry(connectedFor);
    });
  }

  #scheduleRetry(connectedForMs: number | undefined): void {
    if (this.#stopped) return;
    const next = afterDisconnect(this.#backoff, this.#attempt, connectedForMs, this.#options.random ?? Math.random);
    this.#attempt = next.attempt;
    this.#options.log.info({ delayMs: next.delayMs, attempt: next.attempt }, "reconnecting after backoff");
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = undefined;
      void this.#dial();
    }, next.delayMs);
  }
}

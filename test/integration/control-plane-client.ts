// What the control-plane test uses to talk to the API and to the agent socket as a hand-written
// client: JSON calls with the admin token, error checks, enrollment, queueing, and a minimal agent
// socket recording frames and closes. Bound to the test's world through \`world()\`.
import { expect } from "vitest";
import WebSocket from "ws";
import type { DownFrame } from "../../shared/schemas/frames.ts";
import type { Report } from "../../shared/schemas/report.ts";
import { generateSigningKey, type KeyPairJwk, signConnectToken, signReport } from "../../shared/signing.ts";
import type { ControlPlaneWorld } from "../world/control-plane.ts";

export interface ErrorJson {
  error: { code: string; message: string; details?: { field?: string } };
}

export async function json<T>(response: Response): Promise<T> {
  return (await response.json()) as T;
}

export async function until<T>(what: string, probe: () => Promise<T>, done: (value: T) => boolean): Promise<T> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const value = await probe();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what} (last: ${JSON.stringify(value)})`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

export async function expectError(response: Response, status: number, code: string): Promise<ErrorJson> {
  const body = await json<ErrorJson>(response);
  expect({ status: response.status, code: body.error.code }).toEqual({ status, code });
  return body;
}

/** The helpers that need the running control plane, bound to the test's world. */
export function controlPlaneClient(world: () => ControlPlaneWorld) {
  function post(path: string, body: unknown, token?: string): Promise<Response> {
    return world().api(path, {
      method: "POST",
      body: JSON.stringify(body),
      ...(token === undefined ? {} : { headers: { authorization: `Bearer ${token}` } }),
    });
  }

  async function createToken(role: string): Promise<string> {
    const response = await post("/v1/tokens", { role, label: `${role} for tests` });
    expect(response.status).toBe(201);
    return (await json<{ token: string }>(response)).token;
  }

  async function enrollmentToken(host: string): Promise<string> {
    const response = await post("/v1/enrollments", { host });
    expect(response.status).toBe(201);
    return (await json<{ token: string }>(response)).token;
  }

  function enrollRequest(token: string, host: string, key: KeyPairJwk): Promise<Response> {
    return fetch(`${world().url}/v1/agents/enroll`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        token,
        host,
        publicJwk: { kty: key.publicJwk.kty, crv: key.publicJwk.crv, x: key.publicJwk.x },
        agentVersion: "0.1.0-test",
      }),
    });
  }

  async function enrolledHost(host: string): Promise<KeyPairJwk> {
    const key = await generateSigningKey();
    const response = await enrollRequest(await enrollmentToken(host), host, key);
    expect(response.status).toBe(200);
    return key;
  }

  async function queue(host: string, body: Record<string, unknown> = { action: { type: "ping" } }): Promise<string> {
    const response = await post(`/v1/hosts/${host}/commands`, body);
    expect(response.status).toBe(202);
    return (await json<{ commandId: string }>(response)).commandId;
  }

  async function commandState(id: string): Promise<string> {
    return (await json<{ state: string }>(await world().api(`/v1/commands/${id}`))).state;
  }

  /** A minimal agent-side socket: records frames, closes, and the HTTP status of a refused upgrade. */
  class TestSocket {
    readonly frames: DownFrame[] = [];
    closed: { code: number; reason: string } | undefined;
    private readonly ws: WebSocket;
    readonly opened: Promise<number>;

    constructor(token: string, via: "header" | "query" = "header") {
      const base = `${world().url.replace(/^http/, "ws")}/v1/agents/connect`;
      this.ws =
        via === "header" ? new WebSocket(base, { headers: { authorization: `Bearer ${token}` } }) : new WebSocket(`${base}?token=${encodeURIComponent(token)}`);
      this.ws.on("message", (data) => this.frames.push(JSON.parse(String(data)) as DownFrame));
      this.ws.on("close", (code, reason) => {
        this.closed = { code, reason: String(reason) };
      });
      this.opened = new Promise((resolve, reject) => {
        this.ws.on("open", () => resolve(101));
        this.ws.on("unexpected-response", (_request, response) => resolve(response.statusCode ?? 0));
        this.ws.on("error", reject);
      });
    }

    send(text: string): void {
      this.ws.send(text);
    }

    async report(report: Report, host: string, key: KeyPairJwk): Promise<void> {
      this.send(JSON.stringify({ t: "report", jws: await signReport(report, host, key.privateJwk) }));
    }

    commands(): string[] {
      return this.frames.flatMap((frame) => (frame.t === "command" ? [frame.id] : []));
    }

    reportAcks(): number {
      return this.frames.filter((frame) => frame.t === "report-ack").length;
    }

    async close(): Promise<void> {
      if (this.ws.readyState === WebSocket.CLOSED) return;
      const done = new Promise((resolve) => this.ws.once("close", resolve));
      this.ws.close();
      await done;
    }
  }

  async function connect(host: string, key: KeyPairJwk): Promise<TestSocket> {
    const socket = new TestSocket(await signConnectToken(host, "0.1.0-test", key.privateJwk));
    expect(await socket.opened).toBe(101);
    await until(
      "welcome",
      async () => socket.frames[0]?.t,
      (t) => t === "welcome",
    );
    return socket;
  }

  return { post, createToken, enrollmentToken, enrollRequest, enrolledHost, queue, commandState, TestSocket, connect };
}

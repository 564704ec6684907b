// A small typed client for the control plane's HTTP API, as the demo and the fault suite use it:
// every answer parsed with a schema, every error answer turned into a RewindError with its code.
import * as z from "zod";
import { type ErrorCode, errorCodes, RewindError } from "../../shared/errors.ts";

const errorBody = z.object({ error: z.object({ code: z.string(), message: z.string(), details: z.record(z.string(), z.unknown()).optional() }) });

export const rollbackStep = z.object({
  step: z.string(),
  state: z.string(),
  startedAt: z.string().optional(),
  durationMs: z.number().optional(),
  message: z.string().optional(),
});
export const rollbackDetail = z.object({
  rollbackId: z.string(),
  host: z.string(),
  backupId: z.string(),
  state: z.string(),
  reason: z.string(),
  automatic: z.boolean(),
  source: z.string().nullable(),
  commandId: z.string().nullable(),
  downtimeMs: z.number().optional(),
  outcome: z.unknown().optional(),
  steps: z.array(rollbackStep),
});
export type RollbackDetail = z.output<typeof rollbackDetail>;

const rollbackList = z.object({ rollbacks: z.array(z.object({ rollbackId: z.string(), state: z.string(), createdAt: z.string() })) });
const hostList = z.object({ hosts: z.array(z.object({ name: z.string(), status: z.string() })) });
const created = z.object({ token: z.string() });
const queued = z.object({ commandId: z.string() });
const commandView = z.object({
  state: z.string(),
  outcome: z.unknown(),
  reports: z.array(z.object({ id: z.string(), kind: z.string(), receivedAt: z.string().nullable(), body: z.unknown() })),
});
export type CommandView = z.output<typeof commandView>;
const backupList = z.object({ backups: z.array(z.object({ backupId: z.string(), key: z.string(), verified: z.boolean() })) });

/** States a rollback never leaves. */
export const finalRollbackStates: readonly string[] = ["succeeded", "failed", "undone", "cancelled", "expired", "lost"];
const finalCommandStates: readonly string[] = ["succeeded", "failed", "rejected", "expired", "cancelled"];

function codeOf(raw: string): ErrorCode {
  return (errorCodes as readonly string[]).includes(raw) ? (raw as ErrorCode) : "INTERNAL";
}

export interface WaitOptions {
  timeoutMs: number;
  signal?: AbortSignal;
}

async function pause(ms: number, signal: AbortSignal | undefined): Promise<void> {
  await new Promise<void>((resolve) => {
    const wake = (): void => {
      clearTimeout(timer);
      resolve();
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", wake);
      resolve();
    }, ms);
    signal?.addEventListener("abort", wake, { once: true });
  });
  if (signal?.aborted) throw new RewindError("CANCELLED", "interrupted");
}

/** Polls `probe` every 250 ms until it returns a value; UNAVAILABLE with `what` on timeout. */
export async function waitUntil<T>(probe: () => Promise<T | undefined>, what: string, options: WaitOptions): Promise<T> {
  const deadline = Date.now() + options.timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new RewindError("UNAVAILABLE", `timed out after ${options.timeoutMs} ms waiting for ${what}`);
    await pause(250, options.signal);
  }
}

export class ControlPlaneApi {
  constructor(
    readonly url: string,
    private readonly token: string,
  ) {}

  async request<S extends z.ZodType>(method: string, path: string, schema: S, body?: unknown): Promise<z.output<S>> {
    const response = await fetch(`${this.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${this.token}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new RewindError("MALFORMED", `${method} ${path} answered HTTP ${response.status} with non-JSON: ${text.slice(0, 200)}`);
    }
    if (!response.ok) {
      const parsed = errorBody.safeParse(json);
      if (!parsed.success) throw new RewindError("INTERNAL", `${method} ${path} answered HTTP ${response.status}: ${text.slice(0, 300)}`);
      const { code, message, details } = parsed.data.error;
      throw new RewindError(codeOf(code), `${method} ${path}: ${message}`, details === undefined ? {} : { details });
    }
    const parsed = schema.safeParse(json);
    if (!parsed.success) throw new RewindError("MALFORMED", `${method} ${path} answered an unexpected shape: ${text.slice(0, 300)}`);
    return parsed.data;
  }

  async createToken(role: "viewer" | "operator" | "auditor", label: string): Promise<string> {
    return (await this.request("POST", "/v1/tokens", created, { role, label })).token;
  }

  async createEnrollment(host: string): Promise<string> {
    return (await this.request("POST", "/v1/enrollments", created, { host })).token;
  }

  async hostStatus(host: string): Promise<string | undefined> {
    return (await this.request("GET", "/v1/hosts", hostList)).hosts.find((h) => h.name === host)?.status;
  }

  async waitOnline(host: string, options: WaitOptions): Promise<void> {
    await waitUntil(async () => ((await this.hostStatus(host)) === "online" ? true : undefined), `host ${host} to come online`, options);
  }

  async queueCommand(host: string, action: Record<string, unknown>): Promise<string> {
    return (await this.request("POST", `/v1/hosts/${host}/commands`, queued, { action })).commandId;
  }

  async command(commandId: string): Promise<CommandView> {
    return this.request("GET", `/v1/commands/${commandId}`, commandView);
  }

  /** Waits for a command's final state; returns it with the agent's outcome. */
  async waitCommand(commandId: string, options: WaitOptions): Promise<CommandView> {
    return waitUntil(
      async () => {
        const view = await this.command(commandId);
        return finalCommandStates.includes(view.state) ? view : undefined;
      },
      `command ${commandId} to finish`,
      options,
    );
  }

  async backups(host: string): Promise<z.output<typeof backupList>["backups"]> {
    return (await this.request("GET", `/v1/hosts/${host}/backups`, backupList)).backups;
  }

  async requestRollback(host: string, reason: string, backupId?: string): Promise<string> {
    const body = { host, reason, confirm: host, ...(backupId === undefined ? {} : { backupId }) };
    return (await this.request("POST", "/v1/rollbacks", z.object({ rollbackId: z.string() }), body)).rollbackId;
  }

  async rollbacks(host: string): Promise<z.output<typeof rollbackList>["rollbacks"]> {
    return (await this.request("GET", `/v1/rollbacks?host=${encodeURIComponent(host)}`, rollbackList)).rollbacks;
  }

  async rollback(rollbackId: string): Promise<RollbackDetail> {
    return this.request("GET", `/v1/rollbacks/${rollbackId}`, rollbackDetail);
  }

  async waitRollback(rollbackId: string, options: WaitOptions): Promise<RollbackDetail> {
    return waitUntil(
      async () => {
        const detail = await this.rollback(rollbackId);
        return finalRollbackStates.includes(detail.state) ? detail : undefined;
      },
      `rollback ${rollbackId} to finish`,
      options,
    );
  }
}

// The operator CLI's HTTP client: bearer-authenticated JSON calls to the control plane. Every answer
// is parsed with a schema; every failure becomes a RewindError with the server's own code.
import type * as z from "zod";
import { type ErrorCode, errorCodes, RewindError } from "../../../../shared/errors.ts";
import { describeIssues } from "../../../../shared/schemas/zod-error.ts";
import type { RemoteSettings } from "./settings.ts";

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function knownCode(code: unknown): ErrorCode | undefined {
  return typeof code === "string" && (errorCodes as readonly string[]).includes(code) ? (code as ErrorCode) : undefined;
}

export class ApiClient {
  constructor(
    private readonly settings: RemoteSettings,
    private readonly fetchImpl: typeof fetch = fetch,
  ) {}

  async call<S extends z.ZodType>(method: string, path: string, schema: S, body?: unknown): Promise<z.output<S>> {
    const target = `${this.settings.url}${path}`;
    let response: Response;
    try {
      response = await this.fetchImpl(target, {
        method,
        headers: { authorization: `Bearer ${this.settings.token}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    } catch (error) {
      const cause = error instanceof Error ? ((error.cause as Error | undefined)?.message ?? error.message) : String(error);
      throw new RewindError("UNAVAILABLE", `cannot reach the control plane at ${this.settings.url}: ${cause}`, { cause: error, retryable: true });
    }
    const text = await response.text();
    let json: unknown;
    try {
      json = text === "" ? undefined : JSON.parse(text);
    } catch {
      json = undefined;
    }
    if (!response.ok) {
      const error = isRecord(json) && isRecord(json.error) ? json.error : undefined;
      const code = knownCode(error?.code) ?? (response.status >= 500 ? "UNAVAILABLE" : "BAD_REQUEST");
      const message = typeof error?.message === "string" ? error.message : `${method} ${path} answered HTTP ${response.status}`;
      throw new RewindError(code, message, { ...(isRecord(error?.details) ? { details: error.details } : {}) });
    }
    const parsed = schema.safeParse(json);
    if (!parsed.success) {
      throw new RewindError("MALFORMED", `unexpected answer to ${method} ${path}: ${describeIssues(parsed.error)}`);
    }
    return parsed.data;
  }

  get<S extends z.ZodType>(path: string, schema: S): Promise<z.output<S>> {
    return this.call("GET", path, schema);
  }

  post<S extends z.ZodType>(path: string, schema: S, body: unknown = {}): Promise<z.output<S>> {
    return this.call("POST", path, schema, body);
  }
}

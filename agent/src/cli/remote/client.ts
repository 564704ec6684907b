// The CLI's one HTTP client for the control plane: JSON calls, bearer-authenticated when a token is
// given (enrollment sends its one-time token in the body instead). Every answer is parsed with a
// schema; every failure becomes a RewindError with the server's own code and message.
import type * as z from "zod";
import { type ErrorCode, errorCodes, RewindError } from "../../../../shared/errors.ts";
import { describeIssues } from "../../../../shared/schemas/zod-error.ts";

export interface ClientSettings {
  url: string;
  token?: string | undefined;
  /** How long one call may take before it counts as unreachable (default 30 s). */
  timeoutMs?: number;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function knownCode(code: unknown): ErrorCode | undefined {
  return typeof code === "string" && (errorCodes as readonly string[]).includes(code) ? (code as ErrorCode) : undefined;
}

/** A code for an error answer without a Rewind error body (a proxy's page, an old server). */
function codeForStatus(status: number): ErrorCode {
  if (status === 401) return "UNAUTHORIZED";
  if (status === 403) return "FORBIDDEN";
  if (status === 404) return "NOT_FOUND";
  if (status === 409) return "CONFLICT";
  return status >= 500 ? "UNAVAILABLE" : "BAD_REQUEST";
}

export class ApiClient {
  private readonly url: string;

  constructor(
    private readonly settings: ClientSettings,
    private readonly fetchImpl: typeof fetch = fetch,
  ) {
    this.url = settings.url.replace(/\/+$/, "");
  }

  async call<S extends z.ZodType>(method: string, path: string, schema: S, body?: unknown): Promise<z.output<S>> {
    const timeoutMs = this.settings.timeoutMs ?? 30_000;
    const headers: Record<string, string> = {};
    if (this.settings.token !== undefined) headers.authorization = `Bearer ${this.settings.token}`;
    if (body !== undefined) headers["content-type"] = "application/json";
    let response: Response;
    let text: string;
    try {
      response = await this.fetchImpl(`${this.url}${path}`, {
        method,
        headers,
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(timeoutMs),
      });
      text = await response.text();
    } catch (error) {
      const cause =
        error instanceof Error && error.name === "TimeoutError"
          ? `no answer within ${timeoutMs / 1000} s`
          : error instanceof Error
            ? ((error.cause as Error | undefined)?.message ?? error.message)
            : String(error);
      throw new RewindError("UNAVAILABLE", `cannot reach the control plane at ${this.url}: ${cause}`, { cause: error, retryable: true });
    }
    let json: unknown;
    try {
      json = text === "" ? undefined : JSON.parse(text);
    } catch {
      json = undefined;
    }
    if (!response.ok) {
      const error = isRecord(json) && isRecord(json.error) ? json.error : undefined;
      const code = knownCode(error?.code) ?? codeForStatus(response.status);
      const message = typeof error?.message === "string" ? error.message : `${method} ${path} answered HTTP ${response.status}: ${text.slice(0, 200)}`;
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

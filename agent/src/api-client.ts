// The agent's and the CLI's one HTTP client for the control plane: JSON calls (and the audit's text
// downloads), bearer-authenticated when a token is given (enrollment and signed host requests carry
// their proof in the body instead). Every answer is parsed with a
// schema (shared/schemas/api.ts for the operator API); every failure becomes a RewindError with the
// server's own code and message (the shared error body).
import * as z from "zod";
import { type ErrorCode, errorCodes, RewindError } from "../../shared/errors.ts";
import { errorBody } from "../../shared/schemas/api.ts";
import { describeIssues } from "../../shared/schemas/zod-error.ts";

export interface ClientSettings {
  url: string;
  token?: string | undefined;
  /** How long one call may take before it counts as unreachable (default 30 s). */
  timeoutMs?: number;
}

function knownCode(code: unknown): ErrorCode | undefined {
  return typeof code === "string" && (errorCodes as readonly string[]).includes(code) ? (code as ErrorCode) : undefined;
}

/**
 * A code for an error answer without a Rewind error body (a proxy's page, an old server, a wrong URL).
 * The control plane answers every unknown path with its own body, so a bare 404 says nothing about the
 * host or rollback asked for: it is no usable answer, not NOT_FOUND (which `rewind status` exits 4 on).
 */
function codeForStatus(status: number): ErrorCode {
  if (status === 401) return "UNAUTHORIZED";
  if (status === 403) return "FORBIDDEN";
  if (status === 409) return "CONFLICT";
  return status >= 500 || status === 404 ? "UNAVAILABLE" : "BAD_REQUEST";
}

function parseJson(text: string): unknown {
  try {
    return text === "" ? undefined : JSON.parse(text);
  } catch {
    return undefined;
  }
}

export class ApiClient {
  private readonly url: string;

  constructor(
    private readonly settings: ClientSettings,
    private readonly fetchImpl: typeof fetch = fetch,
  ) {
    this.url = settings.url.replace(/\/+$/, "");
  }

  /** The answer's text once the call succeeded; a failure is thrown with the server's code. */
  private async send(method: string, path: string, body?: unknown): Promise<string> {
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
    if (response.ok) return text;
    const answer = errorBody.safeParse(parseJson(text));
    if (!answer.success) {
      // One line, whatever page came back (errors print as `rewind: CODE: message`).
      const page = text.replace(/\s+/g, " ").trim().slice(0, 160);
      throw new RewindError(
        codeForStatus(response.status),
        `${method} ${path} answered HTTP ${response.status} without the control plane's error body (is ${this.url} the control plane?)${page === "" ? "" : `: ${page}`}`,
      );
    }
    const { code, message, details } = answer.data.error;
    // A Rewind body with a code this client does not know yet: its status says what kind it is.
    throw new RewindError(
      knownCode(code) ?? (response.status === 404 ? "NOT_FOUND" : codeForStatus(response.status)),
      message,
      details === undefined ? {} : { details },
    );
  }

  async call<S extends z.core.$ZodType>(method: string, path: string, schema: S, body?: unknown): Promise<z.output<S>> {
    const parsed = z.safeParse(schema, parseJson(await this.send(method, path, body)));
    if (!parsed.success) {
      throw new RewindError("MALFORMED", `unexpected answer to ${method} ${path}: ${describeIssues(parsed.error)}`);
    }
    return parsed.data;
  }

  /** A text GET (the audit checkpoint and NDJSON listings). */
  text(path: string): Promise<string> {
    return this.send("GET", path);
  }

  get<S extends z.core.$ZodType>(path: string, schema: S): Promise<z.output<S>> {
    return this.call("GET", path, schema);
  }

  post<S extends z.core.$ZodType>(path: string, schema: S, body: unknown = {}): Promise<z.output<S>> {
    return this.call("POST", path, schema, body);
  }

  delete<S extends z.core.$ZodType>(path: string, schema: S): Promise<z.output<S>> {
    return this.call("DELETE", path, schema);
  }
}

// @ts-check
// The console's only way to the control plane: same-origin JSON calls with the bearer token, and
// every failure turned into an ApiError with a stable code (the server's, or NETWORK / HTTP).
import { errorBody } from "../../../../shared/schemas/api.ts";

export class ApiError extends Error {
  /**
   * @param {number} status 0 when the request never got an answer
   * @param {string} code
   * @param {string} message
   * @param {Record<string, unknown>} [details]
   */
  constructor(status, code, message, details = {}) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
    this.details = details;
  }
}

/**
 * Reads the shared error body (shared/schemas/api.ts); anything else becomes a plain HTTP error so a
 * proxy's HTML error page is never shown to the operator.
 * @param {Response} response
 * @returns {Promise<ApiError>}
 */
async function errorFrom(response) {
  /** @type {unknown} */
  let body;
  try {
    body = await response.json();
  } catch {
    body = undefined;
  }
  const parsed = errorBody.safeParse(body);
  if (!parsed.success) return new ApiError(response.status, "HTTP", "");
  const { code, message, details } = parsed.data.error;
  return new ApiError(response.status, code, message, details ?? {});
}

/**
 * @typedef {object} Api
 * @property {(path: string) => Promise<unknown>} get JSON GET
 * @property {(path: string) => Promise<string>} text text GET (checkpoint, NDJSON export)
 * @property {(path: string, body?: unknown) => Promise<unknown>} post JSON POST
 */

/**
 * @param {string} token
 * @param {(error: ApiError) => void} [onUnauthorized] called on a 401 (token expired or revoked mid-session)
 * @returns {Api}
 */
export function createApi(token, onUnauthorized) {
  /**
   * @param {string} path
   * @param {RequestInit} init
   */
  async function call(path, init) {
    /** @type {Response} */
    let response;
    try {
      response = await fetch(path, {
        ...init,
        headers: { authorization: `Bearer ${token}`, ...(init.body ? { "content-type": "application/json" } : {}) },
        cache: "no-store",
      });
    } catch {
      throw new ApiError(0, "NETWORK", "");
    }
    if (!response.ok) {
      const error = await errorFrom(response);
      if (error.status === 401) onUnauthorized?.(error);
      throw error;
    }
    return response;
  }
  return {
    async get(path) {
      return (await call(path, { method: "GET" })).json();
    },
    async text(path) {
      return (await call(path, { method: "GET" })).text();
    },
    async post(path, body) {
      const response = await call(path, { method: "POST", body: JSON.stringify(body ?? {}) });
      return response.status === 204 ? {} : response.json();
    },
  };
}

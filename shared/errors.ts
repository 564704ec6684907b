// One error type for every runtime (Worker, agent, CLI): a stable `code` callers branch on,
// a message an operator can act on, and whether retrying can help.

export const errorCodes = [
  "BAD_REQUEST",
  "UNAUTHORIZED",
  "FORBIDDEN",
  "NOT_FOUND",
  "CONFLICT",
  "PAYLOAD_TOO_LARGE",
  "CONFIG_INVALID",
  "SIGNATURE_INVALID",
  "UNKNOWN_KEY",
  "WRONG_AUDIENCE",
  "EXPIRED",
  "REPLAYED",
  "MALFORMED",
  "PRECONDITION_FAILED",
  "ENROLLMENT_INVALID",
  "PREFLIGHT_FAILED",
  "BACKUP_INVALID",
  "STEP_FAILED",
  "LOCKED",
  "CANCELLED",
  "AUDIT_INVALID",
  "UNAVAILABLE",
  /** A dependency (the Docker Engine, a child process) accepted the request and never answered in time. */
  "TIMED_OUT",
  /** Too many refused attempts from one client address or for one host name in a minute. */
  "RATE_LIMITED",
  "INTERNAL",
] as const;

export type ErrorCode = (typeof errorCodes)[number];

export interface RewindErrorOptions {
  retryable?: boolean;
  cause?: unknown;
  /** Extra machine-readable facts (field path, running rollback id, …) for API bodies and logs. */
  details?: Record<string, unknown>;
}

export class RewindError extends Error {
  override readonly name = "RewindError";
  readonly code: ErrorCode;
  readonly retryable: boolean;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message: string, options: RewindErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.retryable = options.retryable ?? false;
    this.details = options.details;
  }
}

export function isRewindError(value: unknown, code?: ErrorCode): value is RewindError {
  return value instanceof RewindError && (code === undefined || value.code === code);
}

/** HTTP status for each code, used once by the control plane's error handler and by the CLI. */
export const httpStatusFor: Record<ErrorCode, number> = {
  BAD_REQUEST: 400,
  MALFORMED: 400,
  CONFIG_INVALID: 500,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  LOCKED: 409,
  PAYLOAD_TOO_LARGE: 413,
  PRECONDITION_FAILED: 412,
  SIGNATURE_INVALID: 401,
  UNKNOWN_KEY: 401,
  WRONG_AUDIENCE: 401,
  EXPIRED: 401,
  REPLAYED: 409,
  ENROLLMENT_INVALID: 403,
  PREFLIGHT_FAILED: 422,
  BACKUP_INVALID: 422,
  STEP_FAILED: 500,
  CANCELLED: 409,
  AUDIT_INVALID: 422,
  UNAVAILABLE: 503,
  TIMED_OUT: 504,
  RATE_LIMITED: 429,
  INTERNAL: 500,
};

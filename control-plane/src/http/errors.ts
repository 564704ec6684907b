// The one place errors become HTTP: a RewindError keeps its code and maps through httpStatusFor;
// anything else is logged with its stack and answered as a bare 500 INTERNAL.
import type { ErrorHandler, NotFoundHandler } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { type ErrorCode, httpStatusFor, isRewindError } from "../../../shared/errors.ts";
import type { ErrorBody as WireErrorBody } from "../../../shared/schemas/api.ts";
import { errorFields, log } from "../log.ts";
import type { AppEnv } from "./app-env.ts";

/** The wire error body (shared/schemas/api.ts) with a code this server knows. */
export type ErrorBody = WireErrorBody & { error: { code: ErrorCode } };

export const onError: ErrorHandler<AppEnv> = (error, c) => {
  if (isRewindError(error)) {
    const status = httpStatusFor[error.code] as ContentfulStatusCode;
    if (status >= 500) log.error("request.failed", { method: c.req.method, path: c.req.path, ...errorFields(error) });
    const body: ErrorBody = {
      error: { code: error.code, message: error.message, ...(error.details === undefined ? {} : { details: error.details }) },
    };
    return c.json(body, status);
  }
  log.error("request.crashed", { method: c.req.method, path: c.req.path, ...errorFields(error) });
  const body: ErrorBody = { error: { code: "INTERNAL", message: "internal error; see the control plane's logs" } };
  return c.json(body, 500);
};

export const notFound: NotFoundHandler<AppEnv> = (c) => {
  const body: ErrorBody = { error: { code: "NOT_FOUND", message: `no route for ${c.req.method} ${c.req.path}` } };
  return c.json(body, 404);
};

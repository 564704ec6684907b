// Request bodies: a size cap (413) before anything is read, then JSON parsed and validated with a
// zod schema (400 naming the first bad field).
import type { Context, MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import type * as z from "../../../shared/schemas/zod.ts";
import { RewindError } from "../../../shared/errors.ts";
import { parseOrThrow } from "../../../shared/schemas/zod-error.ts";

/** API bodies are small JSON documents; manifests are the largest legitimate ones. */
export const maxBodyBytes = 64 * 1024;

export const limitBody = bodyLimit({
  maxSize: maxBodyBytes,
  onError: () => {
    throw new RewindError("PAYLOAD_TOO_LARGE", `request body is larger than ${maxBodyBytes} bytes`);
  },
});

/**
 * workerd closes a keep-alive connection whose request body was left unread (a request refused
 * before its body was parsed: 401, 403, 404, 409…), and a client that reuses the connection at that
 * moment gets ECONNRESET instead of an answer. The rest of a small body is read once the response is
 * decided, so the connection stays usable; a larger or unsized one is left to close.
 */
export const drainUnreadBody: MiddlewareHandler = async (c, next) => {
  await next();
  const raw = c.req.raw;
  const length = Number(raw.headers.get("content-length") ?? Number.NaN);
  if (raw.body !== null && !raw.bodyUsed && length <= maxBodyBytes) await raw.arrayBuffer().catch(() => undefined);
};

export async function readBody<S extends z.core.$ZodType>(c: Context, schema: S, what: string): Promise<z.output<S>> {
  let json: unknown;
  try {
    json = await c.req.json();
  } catch (error) {
    throw new RewindError("BAD_REQUEST", `${what}: body is not valid JSON`, { cause: error });
  }
  return parseOrThrow(schema, json, what);
}

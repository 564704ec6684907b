// How the Worker hands a verified agent connection to the host's Durable Object: the facts it
// verified travel as request headers (the DO trusts them because only the Worker can reach it).
import * as z from "../../../shared/schemas/zod.ts";
import { hostName } from "../../../shared/schemas/common.ts";
import { publicJwk } from "../../../shared/signing.ts";

export const handoff = z.strictObject({
  host: hostName,
  agentVersion: z.string().check(z.minLength(1)),
  key: publicJwk,
  /** The connect token's id and expiry (epoch seconds): each token opens one socket. */
  jti: z.string().check(z.minLength(1)),
  exp: z.number().check(z.int()),
});
export type Handoff = z.output<typeof handoff>;

const header = "x-rewind-handoff";

export function withHandoff(request: Request, facts: Handoff): Request {
  const headers = new Headers(request.headers);
  headers.set(header, JSON.stringify(facts));
  return new Request(request.url, { method: request.method, headers });
}

/** Undefined when absent or unreadable: the caller answers 400 and nothing is accepted. */
export function readHandoff(request: Request): Handoff | undefined {
  const raw = request.headers.get(header);
  if (raw === null) return undefined;
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    return undefined;
  }
  const parsed = handoff.safeParse(json);
  return parsed.success ? parsed.data : undefined;
}

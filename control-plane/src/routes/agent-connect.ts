// GET /v1/agents/connect: the agent's outbound WebSocket. The connect token (signed by the agent's
// own key) is verified here, against the key stored at enrollment, before the host's Durable Object
// sees the request: an unknown host, wrong key or stale token gets 401 and no socket.
import { eq } from "drizzle-orm";
import { Hono } from "hono";
import { isRewindError, RewindError } from "../../../shared/errors.ts";
import { hostName } from "../../../shared/schemas/common.ts";
import { publicJwk, unverifiedIssuer, verifyConnectToken } from "../../../shared/signing.ts";
import { recordRefusal } from "../audit/append.ts";
import { bearerOf } from "../auth/secrets.ts";
import { database } from "../db/client.ts";
import { hosts } from "../db/schema.ts";
import { withHandoff } from "../host-channel/handoff.ts";
import type { AppEnv } from "../http/app-env.ts";
import { clientAddress } from "../http/client-address.ts";

export const agentConnectRoutes = new Hono<AppEnv>().get("/", async (c) => {
  // Only the header: a token in the URL ends up in access logs, where anyone reading them could replay it.
  const token = bearerOf(c.req.header("authorization"));
  if (token === undefined)
    throw new RewindError("UNAUTHORIZED", "missing connect token: send Authorization: Bearer <token> (the ?token= query form is not accepted)");
  const claimed = hostName.safeParse(unverifiedIssuer(token));
  if (!claimed.success) throw new RewindError("UNAUTHORIZED", "connect token names no valid host (iss)");
  const host = claimed.data;
  const [row] = await database(c.env).select().from(hosts).where(eq(hosts.name, host)).limit(1);
  if (row === undefined) throw new RewindError("UNAUTHORIZED", `host ${host} is not enrolled`);
  const key = publicJwk.parse(JSON.parse(row.publicJwk));
  let claims: Awaited<ReturnType<typeof verifyConnectToken>>;
  try {
    claims = await verifyConnectToken(token, { key, host });
  } catch (error) {
    if (!isRewindError(error)) throw error;
    // Anyone can send bad tokens: counted and folded per minute, 429 past the budget.
    await recordRefusal(c.env, {
      entry: { actor: { kind: "system" }, action: "agent.connect-refused", subject: `host:${host}`, details: { code: error.code, reason: error.message } },
      address: clientAddress(c),
      host,
    });
    throw new RewindError("UNAUTHORIZED", `connect token refused: ${error.message}`, { details: { reason: error.code } });
  }
  if (c.req.header("upgrade")?.toLowerCase() !== "websocket") {
    return c.json({ error: { code: "BAD_REQUEST", message: "expected a WebSocket upgrade" } }, 426);
  }
  const stub = c.env.HOST.get(c.env.HOST.idFromName(host));
  return stub.fetch(withHandoff(c.req.raw, { host, agentVersion: claims.agentVersion, key, jti: claims.jti, exp: claims.exp }));
});

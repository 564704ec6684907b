// Bearer-token authentication and role checks for the API. The bootstrap ADMIN_TOKEN secret is the
// admin role; every other token is looked up by the SHA-256 of its secret in D1.
import { and, eq, isNull } from "drizzle-orm";
import { createMiddleware } from "hono/factory";
import { isRewindError, RewindError } from "../../../shared/errors.ts";
import { type Role, role as roleSchema } from "../../../shared/schemas/audit.ts";
import { recordRefusal } from "../audit/append.ts";
import { loadConfig } from "../config.ts";
import { database } from "../db/client.ts";
import { apiTokens } from "../db/schema.ts";
import type { AppEnv, TokenActor } from "../http/app-env.ts";
import { clientAddress } from "../http/client-address.ts";
import { roleAllowed } from "./roles.ts";
import { bearerOf, secretsEqual, sha256Hex } from "./secrets.ts";

async function actorFor(env: AppEnv["Bindings"], secret: string, now: number): Promise<TokenActor | undefined> {
  const config = loadConfig(env);
  if (await secretsEqual(secret, config.adminToken)) return { kind: "token", tokenId: "admin", role: "admin" };
  const rows = await database(env)
    .select({ id: apiTokens.id, role: apiTokens.role, expiresAt: apiTokens.expiresAt })
    .from(apiTokens)
    .where(and(eq(apiTokens.secretHash, await sha256Hex(secret)), isNull(apiTokens.revokedAt)))
    .limit(1);
  const row = rows[0];
  if (row === undefined || (row.expiresAt !== null && row.expiresAt <= now)) return undefined;
  const parsed = roleSchema.safeParse(row.role);
  return parsed.success ? { kind: "token", tokenId: row.id, role: parsed.data } : undefined;
}

/** 401 without a known token, 403 (audited) when the token's role is not among `roles`. */
export function requireRole(...roles: Role[]) {
  return createMiddleware<AppEnv>(async (c, next) => {
    const secret = bearerOf(c.req.header("authorization"));
    if (secret === undefined) {
      throw new RewindError("UNAUTHORIZED", "missing bearer token: send Authorization: Bearer <token>");
    }
    const actor = await actorFor(c.env, secret, Date.now());
    if (actor === undefined) throw new RewindError("UNAUTHORIZED", "unknown, revoked or expired token");
    if (!roleAllowed(actor.role, roles)) {
      // Any token holder can be refused at request speed: the first refusal of the minute is written in
      // full, the rest folded into one entry with counts per token (the refusal's subject), never unbounded.
      const entry = {
        actor,
        action: "auth.forbidden",
        subject: `token:${actor.tokenId}`,
        details: { method: c.req.method, path: c.req.path, required: roles },
      };
      try {
        await recordRefusal(c.env, { entry, address: clientAddress(c), host: `token:${actor.tokenId}` });
      } catch (error) {
        // Past the budget the answer stays 403: the token is known, and its refusals are still counted.
        if (!isRewindError(error, "RATE_LIMITED")) throw error;
      }
      throw new RewindError("FORBIDDEN", `role ${actor.role} may not ${c.req.method} ${c.req.path} (needs ${roles.join(" or ")})`);
    }
    c.set("actor", actor);
    await next();
  });
}

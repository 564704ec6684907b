// POST /v1/agents/rollback-requests: a host asks for its own rollback outside its socket (`rewind
// deploy` saw the deployment fail). The body carries a host request JWS signed by the host's enrolled
// key, good for one request; the rollback is requested as the host, automatic, source "deploy".
// A host whose agent is not connected gets UNAVAILABLE: nobody would run it, so it rolls back locally.
import { eq, lt } from "drizzle-orm";
import { Hono } from "hono";
import * as z from "../../../shared/schemas/zod.ts";
import { isRewindError, RewindError } from "../../../shared/errors.ts";
import { hostName } from "../../../shared/schemas/common.ts";
import { publicJwk, unverifiedIssuer, verifyHostRequest } from "../../../shared/signing.ts";
import { appendAudit, recordRefusal } from "../audit/append.ts";
import { indexManifest } from "../backups/catalog.ts";
import { database } from "../db/client.ts";
import { hosts } from "../db/schema.ts";
import type { AppEnv } from "../http/app-env.ts";
import { clientAddress } from "../http/client-address.ts";
import { readBody } from "../http/body.ts";
import { requestRollback } from "../rollbacks/worker/request.ts";
import { hostRequestTokens } from "./schema.ts";

const body = z.strictObject({ jws: z.string().check(z.minLength(1)) });

export const hostRequestRoutes = new Hono<AppEnv>().post("/", async (c) => {
  const token = (await readBody(c, body, "host request")).jws;
  const claimed = hostName.safeParse(unverifiedIssuer(token));
  if (!claimed.success) throw new RewindError("UNAUTHORIZED", "host request token names no valid host (iss)");
  const host = claimed.data;
  const db = database(c.env);
  const [row] = await db.select({ publicJwk: hosts.publicJwk, online: hosts.online }).from(hosts).where(eq(hosts.name, host)).limit(1);
  if (row === undefined) throw new RewindError("UNAUTHORIZED", `host ${host} is not enrolled`);
  let claims: Awaited<ReturnType<typeof verifyHostRequest>>;
  try {
    claims = await verifyHostRequest(token, { key: publicJwk.parse(JSON.parse(row.publicJwk)), host });
  } catch (error) {
    if (!isRewindError(error)) throw error;
    // Anyone who knows a host name can send forged requests: counted and folded per minute, 429 past the budget.
    await recordRefusal(c.env, {
      entry: { actor: { kind: "system" }, action: "host-request.refused", subject: `host:${host}`, details: { code: error.code, reason: error.message } },
      address: clientAddress(c),
      host,
    });
    throw new RewindError("UNAUTHORIZED", `host request refused: ${error.message}`, { details: { reason: error.code } });
  }
  const now = Date.now();
  // Spent ids are kept only while their token could still verify; older ones cannot be replayed anyway.
  await db.delete(hostRequestTokens).where(lt(hostRequestTokens.expiresAt, now - 60_000));
  const used = await db
    .insert(hostRequestTokens)
    .values({ jti: claims.jti, host, usedAt: now, expiresAt: claims.exp * 1000 })
    .onConflictDoNothing()
    .returning({ jti: hostRequestTokens.jti });
  if (used.length === 0) {
    throw new RewindError("UNAUTHORIZED", "host request token already used: sign a fresh one for each request", { details: { reason: "REPLAYED" } });
  }
  const { request } = claims;
  if (!row.online) {
    throw new RewindError("UNAVAILABLE", `the agent of ${host} is not connected, so nobody would run the rollback: roll back locally`);
  }
  if (request.manifest !== undefined) {
    if (request.manifest.host !== host || request.manifest.backupId !== request.backupId) {
      throw new RewindError("BAD_REQUEST", "the manifest in a host request must be the requesting host's, for the backup it names");
    }
    const { row: indexed, stored } = await indexManifest(c.env, request.manifest, now);
    if (stored) {
      await appendAudit(c.env, {
        actor: { kind: "host", host },
        action: "backup.manifest-stored",
        subject: `backup:${host}/${indexed.backupId}`,
        details: { via: "host-request", key: indexed.objectKey, storage: indexed.storage, sha256: indexed.sha256, timestamp: indexed.timestamp },
      });
    }
  }
  const started = await requestRollback(c.env, {
    host,
    reason: request.reason,
    ...(request.backupId === undefined ? {} : { backupId: request.backupId }),
    requestedBy: { kind: "host", host },
    automatic: true,
    source: request.source,
  });
  return c.json({ ...started, host }, 202);
});

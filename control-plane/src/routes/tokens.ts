// POST /v1/tokens (admin): mint a role token; the secret is returned once, D1 keeps its hash.
// DELETE /v1/tokens/:id (admin): revoke one; it stops working on the next request, and its rollback
// requests still waiting for approval are cancelled.
import { and, eq, isNull } from "drizzle-orm";
import { Hono } from "hono";
import * as z from "../../../shared/schemas/zod.ts";
import { RewindError } from "../../../shared/errors.ts";
import { id as idSchema } from "../../../shared/schemas/common.ts";
import { parseOrThrow } from "../../../shared/schemas/zod-error.ts";
import { randomId } from "../../../shared/signing.ts";
import { appendAudit } from "../audit/append.ts";
import { grantableRoles } from "../auth/roles.ts";
import { requireRole } from "../auth/middleware.ts";
import { newSecret, sha256Hex } from "../auth/secrets.ts";
import { database } from "../db/client.ts";
import { apiTokens } from "../db/schema.ts";
import { withdrawRequestsOf } from "../rollbacks/worker/revoked-requester.ts";
import type { AppEnv } from "../http/app-env.ts";
import { readBody } from "../http/body.ts";

const createToken = z.strictObject({
  role: z.enum(grantableRoles),
  label: z.string().check(z.trim(), z.minLength(1), z.maxLength(200)),
  /** Absent: the token never expires (revocation still works). */
  ttlSeconds: z.optional(z.number().check(z.int(), z.gte(60), z.lte(5 * 365 * 24 * 3600))),
});

export const tokenRoutes = new Hono<AppEnv>()
  .post("/", requireRole("admin"), async (c) => {
    const body = await readBody(c, createToken, "token request");
    const actor = c.get("actor");
    const now = Date.now();
    const id = randomId();
    const secret = newSecret("rwt");
    const expiresAt = body.ttlSeconds === undefined ? null : now + body.ttlSeconds * 1000;
    await database(c.env)
      .insert(apiTokens)
      .values({
        id,
        secretHash: await sha256Hex(secret),
        role: body.role,
        label: body.label,
        createdAt: now,
        createdBy: actor.tokenId,
        expiresAt,
      });
    await appendAudit(c.env, {
      actor,
      action: "token.created",
      subject: `token:${id}`,
      details: { role: body.role, label: body.label, expiresAt: expiresAt === null ? null : new Date(expiresAt).toISOString() },
    });
    return c.json({ id, role: body.role, label: body.label, token: secret, expiresAt: expiresAt === null ? null : new Date(expiresAt).toISOString() }, 201);
  })
  .delete("/:id", requireRole("admin"), async (c) => {
    const id = parseOrThrow(idSchema, c.req.param("id"), "token id");
    const actor = c.get("actor");
    const [revoked] = await database(c.env)
      .update(apiTokens)
      .set({ revokedAt: Date.now() })
      .where(and(eq(apiTokens.id, id), isNull(apiTokens.revokedAt)))
      .returning({ id: apiTokens.id, role: apiTokens.role });
    if (revoked === undefined) throw new RewindError("NOT_FOUND", `no active token ${id}`);
    await appendAudit(c.env, { actor, action: "token.revoked", subject: `token:${id}`, details: { role: revoked.role } });
    const cancelledRollbacks = await withdrawRequestsOf(c.env, id, actor);
    return c.json({ id, revoked: true, cancelledRollbacks });
  });

// POST /v1/tokens (admin): mint a role token. The secret is returned once; D1 keeps its hash.
import { Hono } from "hono";
import { z } from "zod";
import { randomId } from "../../../shared/signing.ts";
import { appendAudit } from "../audit/append.ts";
import { grantableRoles } from "../auth/roles.ts";
import { requireRole } from "../auth/middleware.ts";
import { newSecret, sha256Hex } from "../auth/secrets.ts";
import { database } from "../db/client.ts";
import { apiTokens } from "../db/schema.ts";
import type { AppEnv } from "../http/app-env.ts";
import { readBody } from "../http/body.ts";

const createToken = z.strictObject({
  role: z.enum(grantableRoles),
  label: z.string().trim().min(1).max(200),
  /** Absent: the token never expires (revocation still works). */
  ttlSeconds: z.number().int().min(60).max(5 * 365 * 24 * 3600).optional(),
});

export const tokenRoutes = new Hono<AppEnv>().post("/", requireRole("admin"), async (c) => {
  const body = await readBody(c, createToken, "token request");
  const actor = c.get("actor");
  const now = Date.now();
  const id = randomId();
  const secret = newSecret("rwt");
  const expiresAt = body.ttlSeconds === undefined ? null : now + body.ttlSeconds * 1000;
  await database(c.env).insert(apiTokens).values({
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
  return c.json(
    { id, role: body.role, label: body.label, token: secret, expiresAt: expiresAt === null ? null : new Date(expiresAt).toISOString() },
    201,
  );
});

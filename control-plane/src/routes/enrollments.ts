// POST /v1/enrollments (operator, enroll): a one-time token that lets one host register its key.
import { Hono } from "hono";
import * as z from "zod";
import { hostName } from "../../../shared/schemas/common.ts";
import { randomId } from "../../../shared/signing.ts";
import { appendAudit } from "../audit/append.ts";
import { requireRole } from "../auth/middleware.ts";
import { newSecret, sha256Hex } from "../auth/secrets.ts";
import { database } from "../db/client.ts";
import { enrollmentTokens } from "../db/schema.ts";
import type { AppEnv } from "../http/app-env.ts";
import { readBody } from "../http/body.ts";

const createEnrollment = z.strictObject({
  host: hostName,
  ttlSeconds: z
    .number()
    .int()
    .min(60)
    .max(7 * 24 * 3600)
    .default(3600),
});

export const enrollmentRoutes = new Hono<AppEnv>().post("/", requireRole("operator", "enroll"), async (c) => {
  const body = await readBody(c, createEnrollment, "enrollment request");
  const actor = c.get("actor");
  const now = Date.now();
  const id = randomId();
  const token = newSecret("rwe");
  const expiresAt = now + body.ttlSeconds * 1000;
  await database(c.env).insert(enrollmentTokens).values({
    id,
    secretHash: await sha256Hex(token),
    host: body.host,
    createdAt: now,
    createdBy: actor.tokenId,
    expiresAt,
  });
  await appendAudit(c.env, {
    actor,
    action: "enrollment.created",
    subject: `host:${body.host}`,
    details: { enrollmentId: id, expiresAt: new Date(expiresAt).toISOString() },
  });
  return c.json({ id, host: body.host, token, expiresAt: new Date(expiresAt).toISOString() }, 201);
});

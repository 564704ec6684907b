// POST /v1/enrollments (operator, enroll): a one-time token that lets one host register its key,
// within the minting token's budget a minute (auth/enrollment-budget.ts).
// For a host already enrolled it is a re-enrollment (a key replacement), which enrollment-policy.ts
// restricts; POST /v1/enrollments/:id/approve is the second operator's approval of one.
import { and, eq, isNull } from "drizzle-orm";
import { Hono } from "hono";
import * as z from "../../../shared/schemas/zod.ts";
import { RewindError } from "../../../shared/errors.ts";
import { hostName } from "../../../shared/schemas/common.ts";
import { randomId } from "../../../shared/signing.ts";
import { appendAudit } from "../audit/append.ts";
import { spendEnrollmentBudget } from "../auth/enrollment-budget.ts";
import { decideApproval, decideMint } from "../auth/enrollment-policy.ts";
import { requireRole } from "../auth/middleware.ts";
import { newSecret, sha256Hex } from "../auth/secrets.ts";
import { database } from "../db/client.ts";
import { enrollmentTokens, hosts } from "../db/schema.ts";
import type { AppEnv } from "../http/app-env.ts";
import { readBody } from "../http/body.ts";
import { clientAddress } from "../http/client-address.ts";

const createEnrollment = z.strictObject({
  host: hostName,
  ttlSeconds: z._default(z.number().check(z.int(), z.gte(60), z.lte(7 * 24 * 3600)), 3600),
});

export const enrollmentRoutes = new Hono<AppEnv>()
  .post("/", requireRole("operator", "enroll"), async (c) => {
    const body = await readBody(c, createEnrollment, "enrollment request");
    const actor = c.get("actor");
    await spendEnrollmentBudget(c.env, actor, clientAddress(c));
    const db = database(c.env);
    const [enrolled] = await db.select({ requireApproval: hosts.requireApproval }).from(hosts).where(eq(hosts.name, body.host)).limit(1);
    const decision = decideMint(actor.role, body.host, enrolled);
    if (decision.kind === "refuse") {
      await appendAudit(c.env, {
        actor,
        action: "enrollment.refused",
        subject: `host:${body.host}`,
        details: { reason: decision.message, reenroll: true },
      });
      throw new RewindError(decision.code, decision.message, { details: { host: body.host } });
    }
    const reenroll = decision.kind === "reenroll";
    const needsApproval = decision.kind === "reenroll" && decision.needsApproval;
    const now = Date.now();
    const id = randomId();
    const token = newSecret("rwe");
    const expiresAt = now + body.ttlSeconds * 1000;
    await db.insert(enrollmentTokens).values({
      id,
      secretHash: await sha256Hex(token),
      host: body.host,
      createdAt: now,
      createdBy: actor.tokenId,
      expiresAt,
      reenroll,
      needsApproval,
    });
    await appendAudit(c.env, {
      actor,
      action: "enrollment.created",
      subject: `host:${body.host}`,
      details: { enrollmentId: id, expiresAt: new Date(expiresAt).toISOString(), reenroll, ...(needsApproval ? { pendingApproval: true } : {}) },
    });
    return c.json(
      { id, host: body.host, token, expiresAt: new Date(expiresAt).toISOString(), reenroll, ...(needsApproval ? { pendingApproval: true } : {}) },
      201,
    );
  })
  .post("/:id/approve", requireRole("operator"), async (c) => {
    const actor = c.get("actor");
    const id = c.req.param("id");
    const db = database(c.env);
    const [row] = await db.select().from(enrollmentTokens).where(eq(enrollmentTokens.id, id)).limit(1);
    if (row === undefined) throw new RewindError("NOT_FOUND", `no enrollment ${id}`);
    const now = Date.now();
    const decision = decideApproval(row, actor.tokenId, now);
    if (decision.kind === "refuse") {
      await appendAudit(c.env, {
        actor,
        action: "enrollment.approval-refused",
        subject: `host:${row.host}`,
        details: { enrollmentId: id, reason: decision.message },
      });
      throw new RewindError(decision.code, decision.message, { details: { enrollmentId: id } });
    }
    // Conditional, so two approvals racing record exactly one.
    const [approved] = await db
      .update(enrollmentTokens)
      .set({ approvedBy: actor.tokenId, approvedAt: now })
      .where(and(eq(enrollmentTokens.id, id), isNull(enrollmentTokens.approvedBy), isNull(enrollmentTokens.usedAt)))
      .returning({ id: enrollmentTokens.id });
    if (approved === undefined) throw new RewindError("CONFLICT", `enrollment ${id} was approved or used meanwhile`);
    await appendAudit(c.env, {
      actor,
      action: "enrollment.approved",
      subject: `host:${row.host}`,
      details: { enrollmentId: id, requestedBy: row.createdBy, reenroll: true },
    });
    return c.json({ id, host: row.host, approvedBy: actor.tokenId });
  });

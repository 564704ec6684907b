// POST /v1/agents/enroll: a host trades a one-time enrollment token for registering its public key,
// and learns the control plane's keys to pin. A used, expired or other-host token is refused (403), and
// so is a token that would replace an enrolled host's key without being minted for that (policy).
import { and, eq, gt, isNotNull, isNull, or } from "drizzle-orm";
import { Hono } from "hono";
import * as z from "../../../shared/schemas/zod.ts";
import { RewindError } from "../../../shared/errors.ts";
import { hostName } from "../../../shared/schemas/common.ts";
import { keyFingerprint, publicJwk } from "../../../shared/signing.ts";
import { appendAudit, recordRefusal } from "../audit/append.ts";
import { usableFor } from "../auth/enrollment-policy.ts";
import { sha256Hex } from "../auth/secrets.ts";
import { loadConfig } from "../config.ts";
import { type Database, database } from "../db/client.ts";
import { enrollmentTokens, hosts } from "../db/schema.ts";
import type { AppEnv } from "../http/app-env.ts";
import { recordPins } from "../keys/store.ts";
import { readBody } from "../http/body.ts";
import { clientAddress } from "../http/client-address.ts";
import { jwksOf } from "./health.ts";

const enrollBody = z.strictObject({
  token: z.string().check(z.minLength(1), z.maxLength(200)),
  host: hostName,
  publicJwk: z
    .extend(publicJwk, { x: z.string().check(z.regex(/^[A-Za-z0-9_-]{43}$/, "must be a base64url Ed25519 public key")) })
    .check(z.refine((jwk) => !("d" in jwk), { message: "must be the public key only (no private 'd' member)", path: ["d"] })),
  agentVersion: z.string().check(z.minLength(1), z.maxLength(64)),
});

/** Why a token did not match, for the audit record and the operator; the answer is 403 either way. */
async function refusalReason(db: Database, secretHash: string, host: string, now: number): Promise<string> {
  const [row] = await db.select().from(enrollmentTokens).where(eq(enrollmentTokens.secretHash, secretHash)).limit(1);
  if (row === undefined) return "unknown enrollment token";
  if (row.usedAt !== null) return "enrollment token was already used";
  if (row.expiresAt <= now) return "enrollment token has expired";
  if (row.host !== host) return `enrollment token was issued for another host, not ${host}`;
  return usableFor(row, await hostEnrolled(db, host)) ?? "enrollment token is not valid";
}

async function hostEnrolled(db: Database, host: string): Promise<boolean> {
  const [row] = await db.select({ name: hosts.name }).from(hosts).where(eq(hosts.name, host)).limit(1);
  return row !== undefined;
}

async function refuse(env: AppEnv["Bindings"], host: string, reason: string, address: string | undefined): Promise<never> {
  // Anyone can send junk enrollments: counted and folded per minute, 429 past the budget.
  await recordRefusal(env, { entry: { actor: { kind: "system" }, action: "enrollment.refused", subject: `host:${host}`, details: { reason } }, address, host });
  throw new RewindError("ENROLLMENT_INVALID", `${reason}: ask an operator for a new one (POST /v1/enrollments)`);
}

export const agentEnrollRoutes = new Hono<AppEnv>().post("/", async (c) => {
  const body = await readBody(c, enrollBody, "enrollment");
  const config = loadConfig(c.env);
  const db = database(c.env);
  const now = Date.now();
  const secretHash = await sha256Hex(body.token);
  const [candidate] = await db.select().from(enrollmentTokens).where(eq(enrollmentTokens.secretHash, secretHash)).limit(1);
  // Checked before the token is spent, so a re-enrollment awaiting its approval stays usable.
  const live = candidate !== undefined && candidate.host === body.host && candidate.usedAt === null && candidate.expiresAt > now;
  const unusable = live ? usableFor(candidate, await hostEnrolled(db, body.host)) : undefined;
  if (unusable !== undefined) return refuse(c.env, body.host, unusable, clientAddress(c));
  // One conditional UPDATE consumes the token, so two racing enrollments cannot both succeed.
  const [consumed] = await db
    .update(enrollmentTokens)
    .set({ usedAt: now })
    .where(
      and(
        eq(enrollmentTokens.secretHash, secretHash),
        eq(enrollmentTokens.host, body.host),
        isNull(enrollmentTokens.usedAt),
        gt(enrollmentTokens.expiresAt, now),
        or(eq(enrollmentTokens.needsApproval, false), isNotNull(enrollmentTokens.approvedBy)),
      ),
    )
    .returning({
      id: enrollmentTokens.id,
      reenroll: enrollmentTokens.reenroll,
      createdBy: enrollmentTokens.createdBy,
      approvedBy: enrollmentTokens.approvedBy,
    });
  if (consumed === undefined) return refuse(c.env, body.host, await refusalReason(db, secretHash, body.host, now), clientAddress(c));
  const key = { kty: body.publicJwk.kty, crv: body.publicJwk.crv, x: body.publicJwk.x };
  const fingerprint = await keyFingerprint(key);
  const stored = { publicJwk: JSON.stringify(key), fingerprint, enrolledAt: now, agentVersion: body.agentVersion };
  if (consumed.reenroll) {
    await db
      .insert(hosts)
      .values({ name: body.host, ...stored })
      .onConflictDoUpdate({ target: hosts.name, set: stored });
  } else {
    // A new-host token never replaces a key, even when the host was enrolled after it was minted.
    const [inserted] = await db
      .insert(hosts)
      .values({ name: body.host, ...stored })
      .onConflictDoNothing()
      .returning({ name: hosts.name });
    if (inserted === undefined)
      return refuse(c.env, body.host, usableFor({ ...consumed, needsApproval: false }, true) ?? "the host is already enrolled", clientAddress(c));
  }
  // The agent pins every published key it is handed below; key rotation starts from that set.
  await recordPins(
    c.env,
    body.host,
    config.signingKeys.map((key) => key.kid ?? ""),
    now,
  );
  await appendAudit(c.env, {
    actor: { kind: "host", host: body.host },
    action: "enrollment.completed",
    subject: `host:${body.host}`,
    // The key itself is in the log, so an export carries every key a host ever had (see audit /keys).
    details: {
      enrollmentId: consumed.id,
      fingerprint,
      publicJwk: key,
      agentVersion: body.agentVersion,
      reenrolled: consumed.reenroll,
      ...(consumed.reenroll ? { authorizedBy: consumed.createdBy, ...(consumed.approvedBy === null ? {} : { approvedBy: consumed.approvedBy }) } : {}),
    },
  });
  // Only now does an old key stop working: a socket authenticated with it must not keep talking for the
  // host. A new host name may be a retired host's: its channel takes connections again, with this key only.
  await c.env.HOST.get(c.env.HOST.idFromName(body.host)).rekey(key, consumed.reenroll ? "host re-enrolled with a new key" : "host enrolled");
  const controlPlaneKeys = jwksOf(config);
  return c.json({
    host: body.host,
    controlPlaneKeys,
    fingerprint,
    controlPlaneFingerprints: await Promise.all(controlPlaneKeys.keys.map((jwk) => keyFingerprint(jwk))),
  });
});

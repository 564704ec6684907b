// Key rotation's records in D1: which signing keys were promoted, which keys each agent pins, and
// the automatic promotion once every online agent pins a new key. The choices are signer.ts's.
import { eq } from "drizzle-orm";
import type { AuditActor } from "../../../shared/schemas/audit.ts";
import type { PinnedKey } from "../../../shared/schemas/command.ts";
import { type PrivateJwk, publicPart } from "../../../shared/signing.ts";
import { appendAudit } from "../audit/append.ts";
import { loadConfig } from "../config.ts";
import { database } from "../db/client.ts";
import { agentKeyPins, hosts, signingKeyPromotions } from "../db/schema.ts";
import type { Env } from "../env.ts";
import { activeKey, signerFor } from "./signer.ts";

export async function promotedKids(env: Env): Promise<Set<string>> {
  const rows = await database(env).select({ kid: signingKeyPromotions.kid }).from(signingKeyPromotions);
  return new Set(rows.map((row) => row.kid));
}

/** The kids `host` pins; undefined when none were ever recorded (enrolled before rotation existed). */
export async function pinnedKids(env: Env, host: string): Promise<Set<string> | undefined> {
  const rows = await database(env).select({ kid: agentKeyPins.kid }).from(agentKeyPins).where(eq(agentKeyPins.host, host));
  return rows.length === 0 ? undefined : new Set(rows.map((row) => row.kid));
}

/** Replaces the host's pinned set with `kids` (what it enrolled with, or what its agent reported). */
export async function recordPins(env: Env, host: string, kids: readonly string[], now: number): Promise<void> {
  const db = database(env);
  await db.delete(agentKeyPins).where(eq(agentKeyPins.host, host));
  if (kids.length > 0) await db.insert(agentKeyPins).values(kids.map((kid) => ({ host, kid, pinnedAt: now })));
}

/** The key that signs the next command for `host`. */
export async function signingKeyFor(env: Env, host: string): Promise<PrivateJwk | undefined> {
  const keys = loadConfig(env).signingKeys;
  const [promoted, pinned] = await Promise.all([promotedKids(env), pinnedKids(env, host)]);
  return signerFor(keys, promoted, pinned);
}

export function pinnedKeyOf(key: PrivateJwk): PinnedKey {
  const pub = publicPart(key);
  return { kty: "OKP", crv: "Ed25519", x: pub.x, kid: key.kid ?? "" };
}

export interface KeyStatus {
  kid: string;
  active: boolean;
  promoted: boolean;
  /** Enrolled hosts whose agent does not pin this key yet, online ones first. */
  pendingOnline: string[];
  pendingOffline: string[];
}

export async function keyStatus(env: Env): Promise<KeyStatus[]> {
  const keys = loadConfig(env).signingKeys;
  const db = database(env);
  const [promoted, enrolled, pins] = await Promise.all([
    promotedKids(env),
    db.select({ name: hosts.name, online: hosts.online }).from(hosts),
    db.select({ host: agentKeyPins.host, kid: agentKeyPins.kid }).from(agentKeyPins),
  ]);
  const active = activeKey(keys, promoted);
  const oldest = keys.at(-1);
  const pinnedBy = (host: string, key: PrivateJwk): boolean => {
    const own = pins.filter((pin) => pin.host === host);
    return own.length === 0 ? key === oldest : own.some((pin) => pin.kid === key.kid);
  };
  return keys.map((key) => {
    const pending = enrolled.filter((host) => !pinnedBy(host.name, key));
    return {
      kid: key.kid ?? "",
      active: key === active,
      promoted: key.kid !== undefined && promoted.has(key.kid),
      pendingOnline: pending.filter((host) => host.online).map((host) => host.name),
      pendingOffline: pending.filter((host) => !host.online).map((host) => host.name),
    };
  });
}

export async function promote(env: Env, kid: string, actor: AuditActor, forced: boolean, details: Record<string, unknown>): Promise<boolean> {
  const promotedBy = actor.kind === "token" ? actor.tokenId : "system";
  const inserted = await database(env)
    .insert(signingKeyPromotions)
    .values({ kid, promotedAt: Date.now(), promotedBy, forced })
    .onConflictDoNothing()
    .returning({ kid: signingKeyPromotions.kid });
  if (inserted.length === 0) return false;
  await appendAudit(env, { actor, action: "signing-key.promoted", subject: `signing-key:${kid}`, details: { forced, ...details } });
  return true;
}

/** Promotes every newer-than-active key that every online agent pins. Returns the kids promoted. */
export async function promoteWhereReady(env: Env): Promise<string[]> {
  const promotedNow: string[] = [];
  const statuses = await keyStatus(env);
  const activeIndex = statuses.findIndex((status) => status.active);
  // Oldest candidate first, so the newest ready key ends up active.
  for (const status of statuses.slice(0, Math.max(activeIndex, 0)).reverse()) {
    if (status.promoted || status.pendingOnline.length > 0) continue;
    const done = await promote(env, status.kid, { kind: "system" }, false, { pendingOffline: status.pendingOffline });
    if (done) promotedNow.push(status.kid);
  }
  return promotedNow;
}

import { describe, expect, it } from "vitest";
import { isRewindError } from "./errors.ts";
import type { CommandClaims } from "./schemas/command.ts";
import {
  generateSigningKey,
  nowSeconds,
  publicPart,
  randomId,
  signCommand,
  signConnectToken,
  signReport,
  verifyCommand,
  verifyConnectToken,
  verifyReport,
} from "./signing.ts";

const now = new Date("2026-11-25T12:00:00Z");

function claims(overrides: Partial<CommandClaims> = {}): CommandClaims {
  const iat = nowSeconds(now);
  return {
    iss: "rewind-control-plane",
    aud: "web-1",
    jti: randomId(),
    nonce: randomId(),
    iat,
    exp: iat + 300,
    action: { type: "ping" },
    ...overrides,
  };
}

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    if (isRewindError(error)) return error.code;
    throw error;
  }
  throw new Error("expected a rejection");
}

describe("command signatures", () => {
  it("round-trips a command for the pinned key and host", async () => {
    const key = await generateSigningKey("cp-1");
    const jws = await signCommand(claims(), key.privateJwk);
    const verified = await verifyCommand(jws, { keys: [key.publicJwk], host: "web-1", now });
    expect(verified.action).toEqual({ type: "ping" });
  });

  it("refuses forged, unknown-kid, other-host and expired commands with distinct codes", async () => {
    const key = await generateSigningKey("cp-1");
    const forger = await generateSigningKey("cp-1");
    const stranger = await generateSigningKey("cp-2");
    const good = claims();
    expect(await codeOf(verifyCommand(await signCommand(good, forger.privateJwk), { keys: [key.publicJwk], host: "web-1", now }))).toBe("SIGNATURE_INVALID");
    expect(await codeOf(verifyCommand(await signCommand(good, stranger.privateJwk), { keys: [key.publicJwk], host: "web-1", now }))).toBe("UNKNOWN_KEY");
    expect(await codeOf(verifyCommand(await signCommand(good, key.privateJwk), { keys: [key.publicJwk], host: "web-2", now }))).toBe("WRONG_AUDIENCE");
    const late = new Date(now.getTime() + 400_000);
    expect(await codeOf(verifyCommand(await signCommand(good, key.privateJwk), { keys: [key.publicJwk], host: "web-1", now: late }))).toBe("EXPIRED");
    expect(await codeOf(verifyCommand("not.a.jws", { keys: [key.publicJwk], host: "web-1", now }))).toBe("MALFORMED");
  });

  it("accepts either key during a rotation", async () => {
    const oldKey = await generateSigningKey("cp-1");
    const newKey = await generateSigningKey("cp-2");
    const jws = await signCommand(claims(), newKey.privateJwk);
    await expect(verifyCommand(jws, { keys: [oldKey.publicJwk, newKey.publicJwk], host: "web-1", now })).resolves.toBeDefined();
  });
});

describe("agent tokens and reports", () => {
  it("verifies a fresh connect token and refuses a stale one", async () => {
    const key = await generateSigningKey();
    const token = await signConnectToken("web-1", "0.1.0", key.privateJwk, now);
    await expect(verifyConnectToken(token, { key: publicPart(key.privateJwk), host: "web-1", now })).resolves.toMatchObject({ iss: "web-1" });
    const later = new Date(now.getTime() + 5 * 60_000);
    expect(await codeOf(verifyConnectToken(token, { key: key.publicJwk, host: "web-1", now: later }))).toBe("EXPIRED");
  });

  it("verifies a report with the host key only", async () => {
    const key = await generateSigningKey();
    const other = await generateSigningKey();
    const jws = await signReport({ kind: "ack", commandId: randomId() }, "web-1", key.privateJwk);
    await expect(verifyReport(jws, { key: key.publicJwk, host: "web-1" })).resolves.toMatchObject({ report: { kind: "ack" } });
    expect(await codeOf(verifyReport(jws, { key: other.publicJwk, host: "web-1" }))).toBe("SIGNATURE_INVALID");
  });
});

describe("random ids", () => {
  it("never start with '-' or '_', so `rewind status <id>` does not read one as an option", () => {
    const ids = Array.from({ length: 2000 }, () => randomId());
    expect(ids.filter((id) => !/^[A-Za-z0-9][A-Za-z0-9_-]{21}$/.test(id))).toEqual([]);
    expect(new Set(ids).size).toBe(ids.length);
  });
});

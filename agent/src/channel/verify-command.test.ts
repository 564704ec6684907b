import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { importJWK, SignJWT } from "jose";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { CommandClaims } from "../../../shared/schemas/command.ts";
import { maxFrameBytes } from "../../../shared/schemas/frames.ts";
import { generateSigningKey, type KeyPairJwk, nowSeconds, randomId, signCommand } from "../../../shared/signing.ts";
import { NonceStore } from "./nonce-store.ts";
import { parseDownFrame, verifyCommandFrame } from "./verify-command.ts";

const now = new Date("2026-11-25T12:00:00Z");
let dir: string;
let pinned: KeyPairJwk;
let nonces: NonceStore;

beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "rewind-verify-"));
  pinned = await generateSigningKey("cp-2026");
  nonces = await NonceStore.open(dir, now);
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

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

async function verdictOf(jws: string, id: string, store: NonceStore = nonces) {
  const frame = parseDownFrame(JSON.stringify({ t: "command", id, jws }));
  if (!frame.ok) return frame;
  if (frame.frame.t !== "command") throw new Error("expected a command frame");
  return verifyCommandFrame(frame.frame, { keys: [pinned.publicJwk], host: "web-1", nonces: store, now });
}

async function rejectionCode(jws: string, id: string, store?: NonceStore): Promise<string> {
  const verdict = await verdictOf(jws, id, store);
  return verdict.ok ? "accepted" : verdict.rejection.code;
}

describe("command verification", () => {
  it("accepts a command signed with a pinned key for this host", async () => {
    const c = claims();
    const verdict = await verdictOf(await signCommand(c, pinned.privateJwk), c.jti);
    expect(verdict.ok && "claims" in verdict ? verdict.claims.action : undefined).toEqual({ type: "ping" });
  });

  it("refuses a forged signature (same kid, another key)", async () => {
    const forger = await generateSigningKey("cp-2026");
    const c = claims();
    expect(await rejectionCode(await signCommand(c, forger.privateJwk), c.jti)).toBe("SIGNATURE_INVALID");
  });

  it("refuses a key that is not pinned (unknown kid)", async () => {
    const other = await generateSigningKey("someone-else");
    const c = claims();
    expect(await rejectionCode(await signCommand(c, other.privateJwk), c.jti)).toBe("UNKNOWN_KEY");
  });

  it("refuses a command for another host", async () => {
    const c = claims({ aud: "web-2" });
    expect(await rejectionCode(await signCommand(c, pinned.privateJwk), c.jti)).toBe("WRONG_AUDIENCE");
  });

  it("refuses an expired command (beyond the clock-skew allowance)", async () => {
    const iat = nowSeconds(now) - 600;
    const c = claims({ iat, exp: nowSeconds(now) - 31 });
    expect(await rejectionCode(await signCommand(c, pinned.privateJwk), c.jti)).toBe("EXPIRED");
  });

  it("refuses a replay, also after the agent restarted", async () => {
    const c = claims();
    const jws = await signCommand(c, pinned.privateJwk);
    expect(await rejectionCode(jws, c.jti)).toBe("accepted");
    expect(await rejectionCode(jws, c.jti)).toBe("REPLAYED");
    expect(await rejectionCode(jws, c.jti, await NonceStore.open(dir, now))).toBe("REPLAYED");
  });

  it("does not let a forged frame burn a genuine command's nonce", async () => {
    const forger = await generateSigningKey("cp-2026");
    const c = claims();
    expect(await rejectionCode(await signCommand(c, forger.privateJwk), c.jti)).toBe("SIGNATURE_INVALID");
    expect(await rejectionCode(await signCommand(c, pinned.privateJwk), c.jti)).toBe("accepted");
  });

  it("refuses a signed command whose type is outside the closed set", async () => {
    const c = { ...claims(), action: { type: "shell", cmd: "rm -rf /" } };
    const key = await importJWK(pinned.privateJwk, "EdDSA");
    const jws = await new SignJWT(c).setProtectedHeader({ alg: "EdDSA", typ: "rewind-command+jwt", kid: "cp-2026" }).sign(key);
    const verdict = await verdictOf(jws, c.jti);
    expect(verdict.ok ? "accepted" : verdict.rejection).toMatchObject({ code: "MALFORMED", commandId: c.jti });
  });

  it("refuses a frame whose id is not the signed command id", async () => {
    const c = claims();
    expect(await rejectionCode(await signCommand(c, pinned.privateJwk), randomId())).toBe("MALFORMED");
  });

  it("refuses malformed JSON, naming the command when its id is readable", () => {
    const result = parseDownFrame('{"t":"command","id":"cmd-12345678","jws":');
    expect(result.ok ? "accepted" : result.rejection).toMatchObject({ code: "MALFORMED", commandId: "cmd-12345678" });
  });

  it("refuses an unknown frame type", () => {
    const result = parseDownFrame(JSON.stringify({ t: "exec", cmd: "id" }));
    expect(result.ok ? "accepted" : result.rejection.reason).toMatch(/unknown frame type 'exec'/);
  });

  it("refuses an oversized frame without parsing it", () => {
    const result = parseDownFrame(JSON.stringify({ t: "command", id: "cmd-12345678", jws: "x".repeat(maxFrameBytes) }));
    expect(result.ok ? "accepted" : result.rejection).toMatchObject({ code: "PAYLOAD_TOO_LARGE", commandId: "cmd-12345678" });
  });
});

// The CLI verifier checks agent reports on node:crypto when it can: its quick yes must only be given to
// a report jose accepts (with the same claims), and every token, genuine or not, must get jose's
// verdict and error from it.
import { createPrivateKey, sign as cryptoSign } from "node:crypto";
import { CompactSign, importJWK } from "jose";
import { beforeAll, describe, expect, it } from "vitest";
import { nativeReportVerify, quickReport } from "../../agent/src/audit/native-report.ts";
import { isRewindError } from "../../shared/errors.ts";
import { generateSigningKey, type KeyPairJwk, nowSeconds, randomId, signReport, verifyReport } from "../../shared/signing.ts";

let key: KeyPairJwk;
let other: KeyPairJwk;
const host = "web-1";

beforeAll(async () => {
  key = await generateSigningKey("web-1-key");
  other = await generateSigningKey("other");
});

const b64 = (value: unknown) => Buffer.from(typeof value === "string" ? value : JSON.stringify(value)).toString("base64url");

/** Ed25519-signs header.payload as given, whatever the header says (jose would not sign it). */
function rawSign(header: Record<string, unknown>, payload: unknown): string {
  const input = `${b64(header)}.${b64(payload)}`;
  const privateKey = createPrivateKey({ key: { ...key.privateJwk }, format: "jwk" });
  return `${input}.${cryptoSign(null, Buffer.from(input), privateKey).toString("base64url")}`;
}

/** Signs any header and payload text as a compact JWS with the host's key. */
async function sign(header: Record<string, unknown>, payload: unknown, signer = key): Promise<string> {
  const bytes = new TextEncoder().encode(typeof payload === "string" ? payload : JSON.stringify(payload));
  return new CompactSign(bytes).setProtectedHeader({ alg: "EdDSA", ...header } as { alg: string }).sign(await importJWK(signer.privateJwk, "EdDSA"));
}

function claims(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { iss: host, aud: "rewind-control-plane", jti: randomId(), iat: nowSeconds(), report: { kind: "result", commandId: randomId(), ok: true }, ...extra };
}

async function tokens(): Promise<[string, string][]> {
  const typ = "rewind-report+jwt";
  const genuine = await signReport({ kind: "ack", commandId: randomId() }, host, key.privateJwk);
  const [h, p, s] = genuine.split(".") as [string, string, string];
  const flipped = `${s.slice(0, 10)}${s[10] === "A" ? "B" : "A"}${s.slice(11)}`;
  const now = nowSeconds();
  return [
    ["genuine", genuine],
    ["genuine, no kid", await sign({ typ }, claims())],
    ["genuine, a day old", await sign({ typ, kid: "k" }, claims({ iat: now - 86_400 }))],
    ["iat ahead", await sign({ typ }, claims({ iat: now + 3600 }))],
    ["typ with application/", await sign({ typ: `application/${typ}` }, claims())],
    ["typ upper case", await sign({ typ: typ.toUpperCase() }, claims())],
    ["typ of a command", await sign({ typ: "rewind-command+jwt" }, claims())],
    ["no typ", await sign({}, claims())],
    ["kid a number", await sign({ typ, kid: 7 }, claims())],
    ["extra header", await sign({ typ, jku: "https://example.com" }, claims())],
    ["crit b64", await sign({ typ, crit: ["b64"], b64: true }, claims())],
    ["exp passed", await sign({ typ }, claims({ exp: now - 3600 }))],
    ["exp ahead", await sign({ typ }, claims({ exp: now + 3600 }))],
    ["nbf ahead", await sign({ typ }, claims({ nbf: now + 3600 }))],
    ["nbf passed", await sign({ typ }, claims({ nbf: now - 3600 }))],
    ["iat a string", await sign({ typ }, claims({ iat: String(now) }))],
    ["aud as an array", await sign({ typ }, claims({ aud: ["rewind-control-plane"] }))],
    ["aud elsewhere", await sign({ typ }, claims({ aud: "rewind-connect" }))],
    ["another issuer", await sign({ typ }, claims({ iss: "web-2" }))],
    ["extra claim", await sign({ typ }, claims({ sub: "x" }))],
    ["no jti", await sign({ typ }, (({ jti: _jti, ...rest }) => rest)(claims()))],
    ["bad report", await sign({ typ }, claims({ report: { kind: "result" } }))],
    ["payload not JSON", await sign({ typ }, "not json")],
    ["payload an array", await sign({ typ }, "[1]")],
    ["payload not UTF-8", `${h}.${Buffer.from([0xff, 0xfe]).toString("base64url")}.${s}`],
    ["signed by another key", await sign({ typ }, claims(), other)],
    ["signature flipped", `${h}.${p}.${flipped}`],
    ["signature cut", `${h}.${p}.${s.slice(0, -4)}`],
    ["signature padded", `${h}.${p}.${s}==`],
    ["signature in base64", `${h}.${p}.${Buffer.from(s, "base64url").toString("base64")}`],
    ["payload swapped", `${h}.${b64(claims())}.${s}`],
    ["alg none", `${b64({ alg: "none", typ })}.${p}.`],
    ["alg none, Ed25519-signed", rawSign({ alg: "none", typ }, claims())],
    ["alg HS256, Ed25519-signed", rawSign({ alg: "HS256", typ }, claims())],
    ["no alg, Ed25519-signed", rawSign({ typ }, claims())],
    ["raw-signed like the agent", rawSign({ alg: "EdDSA", typ }, claims())],
    ["crit of an unknown header", rawSign({ alg: "EdDSA", typ, crit: ["x"], x: 1 }, claims())],
    ["unencoded payload", rawSign({ alg: "EdDSA", typ, crit: ["b64"], b64: false }, claims())],
    ["alg HS256", `${b64({ alg: "HS256", typ })}.${p}.${s}`],
    ["two parts", `${h}.${p}`],
    ["four parts", `${genuine}.x`],
    ["empty", ""],
  ];
}

type Settled = { ok: true; value: unknown } | { ok: false; code: string; message: string };

async function settle(promise: Promise<unknown>): Promise<Settled> {
  try {
    return { ok: true, value: await promise };
  } catch (error) {
    return isRewindError(error) ? { ok: false, code: error.code, message: error.message } : { ok: false, code: "THROWN", message: String(error) };
  }
}

describe("agent reports checked on node:crypto", () => {
  it("gives a quick yes only to what jose accepts, with the same claims, and jose's verdict to everything", async () => {
    const keys = [
      ["the host's key", key.publicJwk],
      ["the host's key with alg and use", { ...key.publicJwk, alg: "EdDSA", use: "sig" }],
      ["the host's key, for signing only", { ...key.publicJwk, key_ops: ["sign"] }],
      ["the host's key, for ES256", { ...key.publicJwk, alg: "ES256" }],
      ["another key", other.publicJwk],
      ["a malformed key", { ...key.publicJwk, x: "AAAA" }],
    ] as const;
    let quickYes = 0;
    for (const [what, jws] of await tokens()) {
      for (const [keyName, jwk] of keys) {
        const label = `${what}, ${keyName}`;
        const reference = await settle(verifyReport(jws, { key: jwk, host }));
        const quick = quickReport(jws, jwk, host);
        if (quick !== undefined) {
          quickYes += 1;
          expect(reference, label).toEqual({ ok: true, value: quick });
        }
        expect(await settle(nativeReportVerify(jws, { key: jwk, host })), label).toEqual(reference);
      }
    }
    // The genuine reports in the usual form (and only a few others) take the quick way.
    expect(quickYes).toBeGreaterThanOrEqual(4);
  });
});

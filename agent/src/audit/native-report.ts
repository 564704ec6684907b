// Agent report checks for the CLI's verifier on Node's own Ed25519. Through jose and WebCrypto a
// report cost ~88 µs of CPU (most of it on the main thread), on node:crypto's synchronous verify ~70,
// nearly all the Ed25519 check itself; 1 % of the entries carry one (issue 15). The quick way below
// says yes only to a report jose would accept with the same claims (test/unit/audit-native-report.test.ts
// holds both to that): the plain header Rewind's agents sign, a signature that verifies, and claims
// the report schema accepts. Anything else (a bad signature, an unusual header or key, a schema
// failure) is judged by `verifyReport` itself, so every refusal and its message stay jose's.
import { type KeyObject, verify } from "node:crypto";
import type { ReportVerify } from "../../../shared/audit/verify.ts";
import { reportClaims, type ReportClaims } from "../../../shared/schemas/report.ts";
import { type PublicJwk, verifyReport } from "../../../shared/signing.ts";
import { nativeKeyObject } from "./native-ed25519.ts";

const base64Url = /^[A-Za-z0-9_-]+$/;
const utf8 = new TextDecoder("utf-8", { fatal: true });
const headerKeys = new Set(["alg", "typ", "kid"]);
const jwkKeys = new Set(["kty", "crv", "x", "kid"]);

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function decodeJson(part: string): unknown {
  try {
    return JSON.parse(utf8.decode(Buffer.from(part, "base64url")));
  } catch {
    return undefined;
  }
}

function onlyKeys(value: Record<string, unknown>, allowed: ReadonlySet<string>): boolean {
  for (const key in value) if (!allowed.has(key)) return false;
  return true;
}

/** The claims, when the token is certainly a report jose accepts from `host` with `key`; else undefined. */
export function quickReport(jws: string, key: PublicJwk, host: string): ReportClaims | undefined {
  const parts = jws.split(".");
  const [header, payload, signature] = parts;
  if (parts.length !== 3 || header === undefined || payload === undefined || signature === undefined) return undefined;
  // Canonical-length base64url only (a length of 1 mod 4 is no encoding; jose refuses it).
  if (!parts.every((part) => base64Url.test(part) && part.length % 4 !== 1)) return undefined;
  if (!onlyKeys(key, jwkKeys)) return undefined;
  const protectedHeader = decodeJson(header);
  if (!isObject(protectedHeader) || !onlyKeys(protectedHeader, headerKeys)) return undefined;
  if (protectedHeader.alg !== "EdDSA" || protectedHeader.typ !== "rewind-report+jwt") return undefined;
  if (protectedHeader.kid !== undefined && typeof protectedHeader.kid !== "string") return undefined;
  // The strict schema pins aud, makes iat a number and leaves no nbf or exp for a clock to judge;
  // jose also checks the issuer against the host.
  const parsed = reportClaims.safeParse(decodeJson(payload));
  if (!parsed.success || parsed.data.iss !== host) return undefined;
  const signatureBytes = Buffer.from(signature, "base64url");
  let publicKey: KeyObject;
  try {
    publicKey = nativeKeyObject(key.x);
  } catch {
    return undefined;
  }
  try {
    return verify(null, Buffer.from(`${header}.${payload}`, "latin1"), publicKey, signatureBytes) ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

export const nativeReportVerify: ReportVerify = async (jws, options) => quickReport(jws, options.key, options.host) ?? verifyReport(jws, options);

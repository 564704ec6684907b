// Ed25519 JWS for the signed things on the wire: commands (control plane → agent), reports
// (agent → control plane), the agent's socket token and its out-of-socket requests. Verification always pins the algorithm,
// audience and freshness, takes the clock as a parameter, and maps jose's error codes to ours.
import {
  type CryptoKey,
  calculateJwkThumbprint,
  createLocalJWKSet,
  exportJWK,
  generateKeyPair,
  importJWK,
  type JWK,
  type JWTPayload,
  jwtVerify,
  SignJWT,
} from "jose";
import * as z from "./schemas/zod.ts";
import { RewindError } from "./errors.ts";
import { type CommandClaims, commandClaims } from "./schemas/command.ts";
import { type ConnectClaims, connectClaims, type Report, type ReportClaims, reportClaims } from "./schemas/report.ts";
import { type HostRequestClaims, type HostRollbackRequest, hostRequestClaims } from "./schemas/host-request.ts";
import { describeIssues } from "./schemas/zod-error.ts";

export const algorithm = "EdDSA";
/** Clock skew tolerated in either direction between control plane and agent. */
export const clockToleranceSeconds = 30;

export const publicJwk = z.looseObject({
  kty: z.literal("OKP"),
  crv: z.literal("Ed25519"),
  x: z.string().check(z.minLength(1)),
  kid: z.optional(z.string().check(z.minLength(1))),
});
export const privateJwk = z.extend(publicJwk, { d: z.string().check(z.minLength(1)) });
export type PublicJwk = z.output<typeof publicJwk>;
export type PrivateJwk = z.output<typeof privateJwk>;

export interface KeyPairJwk {
  privateJwk: PrivateJwk;
  publicJwk: PublicJwk;
}

export async function generateSigningKey(kid?: string): Promise<KeyPairJwk> {
  const { privateKey, publicKey } = await generateKeyPair(algorithm, { crv: "Ed25519", extractable: true });
  const priv = await exportJWK(privateKey);
  const pub = await exportJWK(publicKey);
  const id = kid ?? (await keyFingerprint(publicJwk.parse(pub)));
  return {
    privateJwk: privateJwk.parse({ ...priv, kid: id }),
    publicJwk: publicJwk.parse({ ...pub, kid: id }),
  };
}

/** RFC 7638 thumbprint (SHA-256, base64url): what operators compare when pinning a key. */
export function keyFingerprint(jwk: PublicJwk): Promise<string> {
  return calculateJwkThumbprint({ kty: jwk.kty, crv: jwk.crv, x: jwk.x }, "sha256");
}

export function publicPart(jwk: PrivateJwk): PublicJwk {
  const { d: _secret, ...rest } = jwk;
  return publicJwk.parse(rest);
}

async function importPrivate(jwk: PrivateJwk): Promise<CryptoKey> {
  const key = await importJWK(jwk, algorithm);
  if (key instanceof Uint8Array) throw new TypeError("expected an asymmetric Ed25519 key");
  return key;
}

export function nowSeconds(now: Date = new Date()): number {
  return Math.floor(now.getTime() / 1000);
}

/**
 * 22 chars of base64url randomness: ids for commands, reports, nonces. Never starting with '-' or '_':
 * operators paste rollback and token ids into `rewind status <id>`, where a leading '-' reads as an
 * option. Redrawing keeps the first character uniform over the other 62.
 */
export function randomId(): string {
  for (;;) {
    const bytes = crypto.getRandomValues(new Uint8Array(16));
    const id = btoa(String.fromCharCode(...bytes))
      .replace(/\+/g, "-")
      .replace(/\//g, "_")
      .replace(/=+$/, "");
    if (/^[A-Za-z0-9]/.test(id)) return id;
  }
}

async function signClaims(claims: JWTPayload, key: PrivateJwk, typ: string): Promise<string> {
  const header = { alg: algorithm, typ, ...(key.kid === undefined ? {} : { kid: key.kid }) };
  return new SignJWT(claims).setProtectedHeader(header).sign(await importPrivate(key));
}

interface VerifyOptions {
  /** Several keys: chosen by `kid` (rotation). One host key: used whatever the token's kid says. */
  keys: readonly PublicJwk[] | PublicJwk;
  audience: string;
  typ: string;
  now?: Date;
  issuer?: string;
  maxAgeSeconds?: number;
  what: string;
}

const joseToCode: Record<string, RewindError["code"]> = {
  ERR_JWS_SIGNATURE_VERIFICATION_FAILED: "SIGNATURE_INVALID",
  ERR_JOSE_ALG_NOT_ALLOWED: "SIGNATURE_INVALID",
  ERR_JWKS_NO_MATCHING_KEY: "UNKNOWN_KEY",
  ERR_JWKS_MULTIPLE_MATCHING_KEYS: "UNKNOWN_KEY",
  ERR_JWT_EXPIRED: "EXPIRED",
  ERR_JWS_INVALID: "MALFORMED",
  ERR_JWT_INVALID: "MALFORMED",
  ERR_JOSE_NOT_SUPPORTED: "MALFORMED",
};

// An audit verification checks thousands of reports against the same few host keys: import each
// key object once (keyed by identity, so a key parsed per request is simply not reused).
const importedPublicKeys = new WeakMap<PublicJwk, ReturnType<typeof importJWK>>();

function importPublic(jwk: PublicJwk): ReturnType<typeof importJWK> {
  let imported = importedPublicKeys.get(jwk);
  if (imported === undefined) {
    imported = importJWK(jwk, algorithm);
    importedPublicKeys.set(jwk, imported);
  }
  return imported;
}

async function verifyClaims(token: string, options: VerifyOptions): Promise<unknown> {
  const keys = options.keys;
  const verificationKey = Array.isArray(keys)
    ? createLocalJWKSet({ keys: keys.map((key: PublicJwk) => ({ ...key, alg: algorithm }) as JWK) })
    : await importPublic(keys as PublicJwk);
  try {
    const { payload } = await jwtVerify(token, verificationKey as Parameters<typeof jwtVerify>[1], {
      algorithms: [algorithm],
      audience: options.audience,
      typ: options.typ,
      clockTolerance: clockToleranceSeconds,
      ...(options.issuer === undefined ? {} : { issuer: options.issuer }),
      ...(options.maxAgeSeconds === undefined ? {} : { maxTokenAge: options.maxAgeSeconds }),
      ...(options.now === undefined ? {} : { currentDate: options.now }),
    });
    return payload;
  } catch (error) {
    const joseCode = (error as { code?: unknown }).code;
    if (joseCode === "ERR_JWT_CLAIM_VALIDATION_FAILED") {
      const claim = (error as { claim?: unknown }).claim;
      if (claim === "aud") {
        throw new RewindError("WRONG_AUDIENCE", `${options.what} is addressed to someone else`, { cause: error });
      }
      if (claim === "iat" || claim === "nbf") {
        throw new RewindError("EXPIRED", `${options.what} is not fresh (${claim} outside the allowed clock skew)`, {
          cause: error,
        });
      }
      throw new RewindError("MALFORMED", `${options.what} has an invalid ${String(claim)} claim`, { cause: error });
    }
    const code = typeof joseCode === "string" ? joseToCode[joseCode] : undefined;
    if (code === undefined) throw new RewindError("MALFORMED", `${options.what} could not be verified`, { cause: error });
    const messages: Record<string, string> = {
      SIGNATURE_INVALID: `${options.what} has an invalid signature`,
      UNKNOWN_KEY: `${options.what} is signed with a key that is not pinned (unknown kid)`,
      EXPIRED: `${options.what} has expired`,
      MALFORMED: `${options.what} is not a well-formed JWS`,
    };
    throw new RewindError(code, messages[code] ?? `${options.what} was refused`, { cause: error });
  }
}

function parseClaims<S extends z.core.$ZodType>(schema: S, payload: unknown, what: string): z.output<S> {
  const result = z.safeParse(schema, payload);
  if (!result.success) throw new RewindError("MALFORMED", `${what} is malformed: ${describeIssues(result.error)}`);
  return result.data;
}

// Commands -----------------------------------------------------------------------------------

const commandTyp = "rewind-command+jwt";

export async function signCommand(claims: CommandClaims, key: PrivateJwk): Promise<string> {
  return signClaims(commandClaims.parse(claims), key, commandTyp);
}

/** Verifies signature (pinned keys only), audience host, expiry and freshness. Replay is the caller's check. */
export async function verifyCommand(token: string, options: { keys: readonly PublicJwk[]; host: string; now?: Date }): Promise<CommandClaims> {
  const payload = await verifyClaims(token, {
    keys: options.keys,
    audience: options.host,
    typ: commandTyp,
    issuer: "rewind-control-plane",
    what: "command",
    ...(options.now === undefined ? {} : { now: options.now }),
  });
  const claims = parseClaims(commandClaims, payload, "command");
  if (claims.exp <= claims.iat) throw new RewindError("MALFORMED", "command expires before it was issued");
  return claims;
}

// Reports ------------------------------------------------------------------------------------

const reportTyp = "rewind-report+jwt";

export async function signReport(report: Report, host: string, key: PrivateJwk, now: Date = new Date()): Promise<string> {
  const claims: ReportClaims = reportClaims.parse({
    iss: host,
    aud: "rewind-control-plane",
    jti: randomId(),
    iat: nowSeconds(now),
    report,
  });
  return signClaims(claims, key, reportTyp);
}

/** Reports are statements of record: their age is not limited (jose checks iat only with a max age). */
export async function verifyReport(token: string, options: { key: PublicJwk; host: string }): Promise<ReportClaims> {
  const payload = await verifyClaims(token, {
    keys: options.key,
    audience: "rewind-control-plane",
    typ: reportTyp,
    issuer: options.host,
    what: "report",
  });
  return parseClaims(reportClaims, payload, "report");
}

// Connect tokens -----------------------------------------------------------------------------

const connectTyp = "rewind-connect+jwt";
export const connectTokenLifetimeSeconds = 60;

export async function signConnectToken(host: string, agentVersion: string, key: PrivateJwk, now: Date = new Date()): Promise<string> {
  const iat = nowSeconds(now);
  const claims: ConnectClaims = connectClaims.parse({
    iss: host,
    aud: "rewind-connect",
    jti: randomId(),
    iat,
    exp: iat + connectTokenLifetimeSeconds,
    agentVersion,
  });
  return signClaims(claims, key, connectTyp);
}

export async function verifyConnectToken(token: string, options: { key: PublicJwk; host: string; now?: Date }): Promise<ConnectClaims> {
  const payload = await verifyClaims(token, {
    keys: options.key,
    audience: "rewind-connect",
    typ: connectTyp,
    issuer: options.host,
    what: "connect token",
    maxAgeSeconds: connectTokenLifetimeSeconds,
    ...(options.now === undefined ? {} : { now: options.now }),
  });
  return parseClaims(connectClaims, payload, "connect token");
}

/** Reads a string claim without verifying: which host's key to use, or which report id to acknowledge. */
export function unverifiedClaim(token: string, claim: "iss" | "jti"): string | undefined {
  const [, body] = token.split(".");
  if (body === undefined) return undefined;
  try {
    const json = JSON.parse(atob(body.replace(/-/g, "+").replace(/_/g, "/"))) as Record<string, unknown>;
    const value = json[claim];
    return typeof value === "string" ? value : undefined;
  } catch {
    return undefined;
  }
}

export function unverifiedIssuer(token: string): string | undefined {
  return unverifiedClaim(token, "iss");
}

// Host requests ------------------------------------------------------------------------------

const hostRequestTyp = "rewind-host-request+jwt";
export const hostRequestLifetimeSeconds = 60;

/** A request from the host outside its socket (e.g. `rewind deploy` asking for a rollback). */
export async function signHostRequest(host: string, request: HostRollbackRequest, key: PrivateJwk, now: Date = new Date()): Promise<string> {
  const iat = nowSeconds(now);
  const claims: HostRequestClaims = hostRequestClaims.parse({
    iss: host,
    aud: "rewind-host-request",
    jti: randomId(),
    iat,
    exp: iat + hostRequestLifetimeSeconds,
    request,
  });
  return signClaims(claims, key, hostRequestTyp);
}

/** Signature by the host's enrolled key, audience, expiry and age. Single use is the caller's check. */
export async function verifyHostRequest(token: string, options: { key: PublicJwk; host: string; now?: Date }): Promise<HostRequestClaims> {
  const payload = await verifyClaims(token, {
    keys: options.key,
    audience: "rewind-host-request",
    typ: hostRequestTyp,
    issuer: options.host,
    what: "host request",
    maxAgeSeconds: hostRequestLifetimeSeconds,
    ...(options.now === undefined ? {} : { now: options.now }),
  });
  return parseClaims(hostRequestClaims, payload, "host request");
}

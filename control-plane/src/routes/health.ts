// Liveness and the published signing keys: both public, no token.
import { Hono } from "hono";
import { type PublicJwk, publicPart } from "../../../shared/signing.ts";
import { type Config, loadConfig } from "../config.ts";
import type { AppEnv } from "../http/app-env.ts";

export interface Jwks {
  keys: (PublicJwk & { alg: "EdDSA"; use: "sig"; kid: string })[];
}

export function jwksOf(config: Config): Jwks {
  return {
    keys: config.signingKeys.map((key) => ({ ...publicPart(key), kid: key.kid ?? "", alg: "EdDSA", use: "sig" })),
  };
}

export const healthRoutes = new Hono<AppEnv>()
  .get("/health", (c) => {
    loadConfig(c.env);
    return c.json({ ok: true, time: new Date().toISOString() });
  })
  .get("/.well-known/jwks.json", (c) => {
    c.header("cache-control", "public, max-age=300");
    return c.json(jwksOf(loadConfig(c.env)));
  });

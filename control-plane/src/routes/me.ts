// GET /v1/me: who the bearer token is (id and role), so the console and CLI can show what it may do.
import { Hono } from "hono";
import type { Me } from "../../../shared/schemas/api.ts";
import { roles } from "../../../shared/schemas/audit.ts";
import { requireRole } from "../auth/middleware.ts";
import type { AppEnv } from "../http/app-env.ts";

export const meRoutes = new Hono<AppEnv>().get("/", requireRole(...roles), (c) => {
  const actor = c.get("actor");
  return c.json({ tokenId: actor.tokenId, role: actor.role } satisfies Me);
});

// GET /v1/hosts (viewer+): every enrolled host with its connection state and key fingerprint.
import { asc } from "drizzle-orm";
import { Hono } from "hono";
import { requireRole } from "../auth/middleware.ts";
import { readers } from "../auth/roles.ts";
import { database } from "../db/client.ts";
import { hosts } from "../db/schema.ts";
import type { AppEnv } from "../http/app-env.ts";

export const hostListRoutes = new Hono<AppEnv>().get("/", requireRole(...readers), async (c) => {
  const rows = await database(c.env).select().from(hosts).orderBy(asc(hosts.name));
  return c.json({
    hosts: rows.map((row) => ({
      name: row.name,
      status: row.online ? "online" : "offline",
      lastSeenAt: row.lastSeenAt === null ? null : new Date(row.lastSeenAt).toISOString(),
      agentVersion: row.agentVersion,
      fingerprint: row.fingerprint,
      enrolledAt: new Date(row.enrolledAt).toISOString(),
    })),
  });
});

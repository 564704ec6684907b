// Key rotation's API. GET /v1/signing-keys: each configured key, whether it signs (active), and the
// hosts whose agent does not pin it yet. POST /v1/signing-keys/rollout (admin): hand every enrolled
// host's agent the keys it lacks (a signed key-update, queued for offline hosts). POST
// /v1/signing-keys/:kid/promote (admin): let a key sign although some online agent has not pinned it
// (`force`, audited); keys every online agent pins are promoted without it.
import { Hono } from "hono";
import * as z from "../../../shared/schemas/zod.ts";
import { RewindError } from "../../../shared/errors.ts";
import { requireRole } from "../auth/middleware.ts";
import { readers } from "../auth/roles.ts";
import { database } from "../db/client.ts";
import { hosts } from "../db/schema.ts";
import type { AppEnv } from "../http/app-env.ts";
import { readBody } from "../http/body.ts";
import { keyStatus, promote, promoteWhereReady } from "./store.ts";

const promoteBody = z.strictObject({
  force: z._default(z.boolean(), false),
  reason: z.optional(z.string().check(z.minLength(1), z.maxLength(500))),
});

export const signingKeyRoutes = new Hono<AppEnv>()
  .get("/", requireRole(...readers), async (c) => c.json({ keys: await keyStatus(c.env) }))
  .post("/rollout", requireRole("admin"), async (c) => {
    const enrolled = await database(c.env).select({ name: hosts.name }).from(hosts);
    const offered: Record<string, string[]> = {};
    for (const { name } of enrolled) {
      const kids = await c.env.HOST.get(c.env.HOST.idFromName(name)).offerKeys(name);
      if (kids.length > 0) offered[name] = kids;
    }
    const promoted = await promoteWhereReady(c.env);
    return c.json({ offered, promoted, keys: await keyStatus(c.env) });
  })
  .post("/:kid/promote", requireRole("admin"), async (c) => {
    const kid = c.req.param("kid");
    const body = await readBody(c, promoteBody, "promotion");
    const status = (await keyStatus(c.env)).find((key) => key.kid === kid);
    if (status === undefined) throw new RewindError("NOT_FOUND", `no signing key ${kid} in SIGNING_KEYS`);
    if (status.promoted) return c.json({ kid, promoted: true, forced: false });
    if (status.pendingOnline.length > 0 && !body.force) {
      throw new RewindError(
        "CONFLICT",
        `online agents do not pin ${kid} yet: ${status.pendingOnline.join(", ")}; run POST /v1/signing-keys/rollout and wait, or pass "force": true (they would refuse every command until they pin it)`,
        { details: { pendingOnline: status.pendingOnline } },
      );
    }
    const forced = status.pendingOnline.length > 0;
    await promote(c.env, kid, c.get("actor"), forced, {
      pendingOnline: status.pendingOnline,
      pendingOffline: status.pendingOffline,
      ...(body.reason === undefined ? {} : { reason: body.reason }),
    });
    return c.json({ kid, promoted: true, forced });
  });

// /v1/rollbacks: operators request (typing the host name to confirm), approve and cancel rollbacks;
// viewers list them and watch one step by step. Decisions happen in the host's Durable Object.
import { Hono } from "hono";
import * as z from "../../../../shared/schemas/zod.ts";
import { RewindError } from "../../../../shared/errors.ts";
import type { ApprovalAnswer, CancelAnswer, RollbackAccepted } from "../../../../shared/schemas/api.ts";
import { hostName, id as idSchema } from "../../../../shared/schemas/common.ts";
import { rollbackState } from "../../../../shared/schemas/rollback.ts";
import { parseOrThrow } from "../../../../shared/schemas/zod-error.ts";
import { requireRole } from "../../auth/middleware.ts";
import { readers } from "../../auth/roles.ts";
import type { AppEnv } from "../../http/app-env.ts";
import { readBody } from "../../http/body.ts";
import { listRollbacks, readRollback, rollbackRow } from "./read.ts";
import { requestRollback } from "./request.ts";
import { withdrawIfRequesterRevoked } from "./revoked-requester.ts";
import { unwrap } from "../rpc-outcome.ts";

const requestBody = z.strictObject({
  host: hostName,
  backupId: z.optional(idSchema),
  reason: z.string().check(z.trim(), z.minLength(1), z.maxLength(500)),
  /** Must equal `host`: the API's version of the seed's "type yes to continue". */
  confirm: z.string(),
  mode: z.optional(z.enum(["full", "code-only"])),
});

const abandonBody = z.strictObject({ reason: z.string().check(z.trim(), z.minLength(1), z.maxLength(500)) });

const listQuery = z.strictObject({
  host: z.optional(hostName),
  state: z.optional(rollbackState),
  limit: z._default(z.coerce.number().check(z.int(), z.gte(1), z.lte(500)), 100),
});

export const rollbackRoutes = new Hono<AppEnv>()
  .post("/", requireRole("operator"), async (c) => {
    const body = await readBody(c, requestBody, "rollback request");
    if (body.confirm !== body.host) {
      throw new RewindError("BAD_REQUEST", `confirm must equal the host name "${body.host}" to roll that host back`, {
        details: { field: "confirm" },
      });
    }
    const accepted = await requestRollback(c.env, {
      host: body.host,
      ...(body.backupId === undefined ? {} : { backupId: body.backupId }),
      reason: body.reason,
      ...(body.mode === undefined ? {} : { mode: body.mode }),
      requestedBy: c.get("actor"),
      automatic: false,
      source: "operator",
    });
    return c.json(accepted satisfies RollbackAccepted, 202);
  })
  .get("/", requireRole(...readers), async (c) => {
    const query = parseOrThrow(listQuery, c.req.query(), "rollback list query");
    const filter = {
      limit: query.limit,
      ...(query.host === undefined ? {} : { host: query.host }),
      ...(query.state === undefined ? {} : { state: query.state }),
    };
    return c.json({ rollbacks: await listRollbacks(c.env, filter) });
  })
  .get("/:id", requireRole(...readers), async (c) => {
    const id = parseOrThrow(idSchema, c.req.param("id"), "rollback id");
    return c.json(await readRollback(c.env, id));
  })
  .post("/:id/cancel", requireRole("operator"), async (c) => {
    const id = parseOrThrow(idSchema, c.req.param("id"), "rollback id");
    const { host } = await rollbackRow(c.env, id);
    const stub = c.env.HOST.get(c.env.HOST.idFromName(host));
    return c.json(unwrap(await stub.cancelRollback(host, id, c.get("actor"))) satisfies CancelAnswer, 202);
  })
  // Admin only: it frees the host for another rollback while the host's state is unknown.
  .post("/:id/abandon", requireRole("admin"), async (c) => {
    const id = parseOrThrow(idSchema, c.req.param("id"), "rollback id");
    const body = await readBody(c, abandonBody, "abandon request");
    const { host } = await rollbackRow(c.env, id);
    const stub = c.env.HOST.get(c.env.HOST.idFromName(host));
    return c.json(unwrap(await stub.abandonRollback(host, id, c.get("actor"), body.reason)));
  })
  .post("/:id/approve", requireRole("operator"), async (c) => {
    const id = parseOrThrow(idSchema, c.req.param("id"), "rollback id");
    const row = await rollbackRow(c.env, id);
    await withdrawIfRequesterRevoked(c.env, row);
    const { host } = row;
    const stub = c.env.HOST.get(c.env.HOST.idFromName(host));
    return c.json(unwrap(await stub.approveRollback(host, id, c.get("actor"))) satisfies ApprovalAnswer);
  });

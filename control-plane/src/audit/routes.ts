// The auditor's API, mounted by the app at /v1/audit behind the auditor role: the NDJSON export,
// signed checkpoints, RFC 9162 inclusion and consistency proofs (hashes in hex), and the public keys
// an offline verification needs.
import { Hono } from "hono";
import * as z from "../../../shared/schemas/zod.ts";
import { consistencyProof, inclusionProof, rootOf, toHex } from "../../../shared/audit/merkle.ts";
import type { AuditKeysResponse } from "../../../shared/audit/export.ts";
import { toNdjson } from "../../../shared/audit/export.ts";
import { RewindError } from "../../../shared/errors.ts";
import { parseOrThrow } from "../../../shared/schemas/zod-error.ts";
import { publicJwk } from "../../../shared/signing.ts";
import { loadConfig } from "../config.ts";
import { database } from "../db/client.ts";
import { hosts } from "../db/schema.ts";
import type { AppEnv } from "../http/app-env.ts";
import { jwksOf } from "../routes/health.ts";
import { hostKeyHistory } from "./key-history.ts";
import { checkpointAt, checkpointPage, enrollmentEntries, entryPage, latestCheckpoint, leafHashes, treeSize } from "./store.ts";

const maxPage = 10_000;
const count = z.coerce.number().check(z.int(), z.nonnegative());
const page = z.object({ from: z._default(count, 0), limit: z._default(z.coerce.number().check(z.int(), z.gte(1), z.lte(maxPage)), 1000) });
const inclusionQuery = z.object({ index: count, size: z.coerce.number().check(z.int(), z.gte(1)) });
const consistencyQuery = z.object({ from: z.coerce.number().check(z.int(), z.gte(1)), to: z.coerce.number().check(z.int(), z.gte(1)) });

const ndjson = { "content-type": "application/x-ndjson; charset=utf-8", "cache-control": "no-store" };

async function requireSize(env: AppEnv["Bindings"], size: number): Promise<void> {
  const current = await treeSize(env);
  if (size > current) {
    throw new RewindError("BAD_REQUEST", `tree size ${size} is larger than the log (${current} entries)`, {
      details: { treeSize: current },
    });
  }
}

export const auditRoutes = new Hono<AppEnv>()
  .get("/", async (c) => {
    const { from, limit } = parseOrThrow(page, c.req.query(), "audit export query");
    const lines = await entryPage(c.env, from, limit);
    return c.body(toNdjson(lines), 200, ndjson);
  })
  .get("/checkpoint", async (c) => {
    const note = await latestCheckpoint(c.env);
    if (note === undefined) throw new RewindError("NOT_FOUND", "no checkpoint yet: the audit log is empty");
    return c.body(note, 200, { "content-type": "text/plain; charset=utf-8", "cache-control": "no-store" });
  })
  .get("/checkpoints", async (c) => {
    const { from, limit } = parseOrThrow(page, c.req.query(), "checkpoint list query");
    const rows = await checkpointPage(c.env, from, limit);
    return c.body(toNdjson(rows.map((row) => JSON.stringify(row))), 200, ndjson);
  })
  .get("/proof/inclusion", async (c) => {
    const { index, size } = parseOrThrow(inclusionQuery, c.req.query(), "inclusion proof query");
    if (index >= size) throw new RewindError("BAD_REQUEST", `index ${index} is not below tree size ${size}`);
    await requireSize(c.env, size);
    const leaves = await leafHashes(c.env, size);
    const leaf = leaves[index];
    if (leaf === undefined) throw new RewindError("NOT_FOUND", `no entry ${index}`);
    return c.json({
      index,
      size,
      leafHash: toHex(leaf),
      proof: inclusionProof(leaves, index, size).map(toHex),
      root: toHex(rootOf(leaves)),
      checkpoint: (await checkpointAt(c.env, size)) ?? null,
    });
  })
  .get("/proof/consistency", async (c) => {
    const { from, to } = parseOrThrow(consistencyQuery, c.req.query(), "consistency proof query");
    if (from > to) throw new RewindError("BAD_REQUEST", `from (${from}) must not exceed to (${to})`);
    await requireSize(c.env, to);
    const leaves = await leafHashes(c.env, to);
    return c.json({
      from,
      to,
      proof: consistencyProof(leaves, from, to).map(toHex),
      fromRoot: toHex(rootOf(leaves, 0, from)),
      toRoot: toHex(rootOf(leaves)),
      fromCheckpoint: (await checkpointAt(c.env, from)) ?? null,
      toCheckpoint: (await checkpointAt(c.env, to)) ?? null,
    });
  })
  .get("/keys", async (c) => {
    const rows = await database(c.env).select({ name: hosts.name, publicJwk: hosts.publicJwk }).from(hosts);
    const current = rows.map((row) => ({ name: row.name, publicJwk: publicJwk.parse(JSON.parse(row.publicJwk)) }));
    const body: AuditKeysResponse = { jwks: jwksOf(loadConfig(c.env)), hosts: hostKeyHistory(await enrollmentEntries(c.env), current) };
    return c.json(body);
  });

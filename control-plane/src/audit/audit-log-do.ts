// The audit log's single writer (Durable Object "global"): it assigns gap-free sequence numbers,
// inserts entries with their leaf hashes into D1, keeps the tree head in memory, and signs a
// checkpoint at most a second after appends (alarm), stored in D1 and published outside it.
import { DurableObject } from "cloudflare:workers";
import { drizzle } from "drizzle-orm/d1";
import { asc, desc, gt } from "drizzle-orm";
import { canonicalJson } from "../../../shared/canonical-json.ts";
import { signCheckpoint } from "../../../shared/audit/checkpoint.ts";
import { fromHex, leafHash, TreeBuilder, toHex } from "../../../shared/audit/merkle.ts";
import { type AuditEntry, auditEntry, type NewAuditEntry } from "../../../shared/schemas/audit.ts";
import { loadConfig } from "../config.ts";
import type { Env } from "../env.ts";
import { errorFields, log } from "../log.ts";
import { publishCheckpoint } from "./checkpoint-publish.ts";
import { auditCheckpoints, auditEntries } from "./schema.ts";

/** Appends within this window share one checkpoint (the issue allows at most a second). */
const checkpointDelayMs = 500;
const loadPageSize = 5000;

export class AuditLog extends DurableObject<Env> {
  private tree: Promise<TreeBuilder> | undefined;
  /** Appends run one after another: seq = tree size only holds if no two interleave around D1 awaits. */
  private queue: Promise<unknown> = Promise.resolve();

  private db() {
    return drizzle(this.env.DB);
  }

  /** The tree is rebuilt from D1's leaf hashes when the object wakes: D1 is the only record. */
  private loadTree(): Promise<TreeBuilder> {
    this.tree ??= (async () => {
      const builder = new TreeBuilder();
      for (;;) {
        const rows = await this.db()
          .select({ seq: auditEntries.seq, leafHash: auditEntries.leafHash })
          .from(auditEntries)
          .where(gt(auditEntries.seq, builder.size - 1))
          .orderBy(asc(auditEntries.seq))
          .limit(loadPageSize);
        for (const row of rows) {
          if (row.seq !== builder.size) throw new Error(`audit log has a gap at seq ${builder.size}`);
          builder.push(fromHex(row.leafHash));
        }
        if (rows.length < loadPageSize) return builder;
      }
    })().catch((error: unknown) => {
      this.tree = undefined;
      throw error;
    });
    return this.tree;
  }

  append(entry: NewAuditEntry): Promise<AuditEntry> {
    const result = this.queue.then(() => this.appendNow(entry));
    this.queue = result.catch(() => undefined);
    return result;
  }

  private async appendNow(entry: NewAuditEntry): Promise<AuditEntry> {
    const tree = await this.loadTree();
    const full = auditEntry.parse({ ...entry, seq: tree.size, time: new Date().toISOString() });
    const text = canonicalJson(full);
    const leaf = leafHash(text);
    await this.db().insert(auditEntries).values({ seq: full.seq, entry: text, leafHash: toHex(leaf) });
    tree.push(leaf);
    if ((await this.ctx.storage.getAlarm()) === null) await this.ctx.storage.setAlarm(Date.now() + checkpointDelayMs);
    return full;
  }

  /** Signs the current head if it grew since the last checkpoint; a throw makes the runtime retry the alarm. */
  override async alarm(): Promise<void> {
    try {
      const tree = await this.loadTree();
      const size = tree.size;
      const root = tree.root();
      const [last] = await this.db()
        .select({ treeSize: auditCheckpoints.treeSize, note: auditCheckpoints.note })
        .from(auditCheckpoints)
        .orderBy(desc(auditCheckpoints.treeSize))
        .limit(1);
      if (last !== undefined && last.treeSize >= size) return;
      const config = loadConfig(this.env);
      const [key] = config.signingKeys;
      if (key === undefined) throw new Error("no signing key configured");
      const note = await signCheckpoint({ origin: config.auditOrigin, size, root }, key);
      await this.db()
        .insert(auditCheckpoints)
        .values({ treeSize: size, rootHash: toHex(root), note, signedAt: new Date().toISOString() })
        .onConflictDoNothing();
      await publishCheckpoint(this.env, config, size, note);
      log.info("audit.checkpoint", { size });
    } catch (error) {
      log.error("audit.checkpoint_failed", { object: "AuditLog/global", ...errorFields(error) });
      throw error;
    }
  }
}

// The audit log's single writer (Durable Object "global"): it assigns gap-free sequence numbers and
// writes each entry, its leaf hash and the checkpoint signed at the new size to D1 in one batch.
// Signing per append lets a verifier name the exact entry an insider changed; copying checkpoints
// outside D1 (S3 or R2) is batched by an alarm, at most a second after an append.
import { DurableObject } from "cloudflare:workers";
import { asc, desc, gt } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
import { signCheckpoint } from "../../../shared/audit/checkpoint.ts";
import { fromHex, leafHash, TreeBuilder, toHex } from "../../../shared/audit/merkle.ts";
import { canonicalJson } from "../../../shared/canonical-json.ts";
import { type AuditEntry, auditEntry, type NewAuditEntry } from "../../../shared/schemas/audit.ts";
import { loadConfig } from "../config.ts";
import { openDurableSqlite } from "../durable-sqlite.ts";
import type { Env } from "../env.ts";
import { errorFields, log } from "../log.ts";
import migrations from "./do-sqlite/migrations/migrations.ts";
import { publishCheckpoint } from "./checkpoint-publish.ts";
import { BudgetStore } from "./budget-store.ts";
import { RefusalStore } from "./refusal-store.ts";
import { foldedEntry, judgeRefusal, minuteOf, type Refusal } from "./refusals.ts";
import { auditCheckpoints, auditEntries } from "./schema.ts";
import { SerialQueue } from "../../../shared/serial-queue.ts";

const publishDelayMs = 500;
const loadPageSize = 5000;
const publishedKey = "publishedSize";

export class AuditLog extends DurableObject<Env> {
  private tree: Promise<TreeBuilder> | undefined;
  /** Appends run one after another: seq = tree size only holds if no two interleave around D1 awaits. */
  private readonly queue = new SerialQueue();
  private readonly refusals: RefusalStore;
  private readonly budgets: BudgetStore;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    const db = openDurableSqlite(ctx, migrations);
    this.refusals = new RefusalStore(db);
    this.budgets = new BudgetStore(db);
  }

  /** Wakes the object at `at` unless an earlier wake is already set. */
  private async wakeBy(at: number): Promise<void> {
    const current = await this.ctx.storage.getAlarm();
    if (current === null || current > at) await this.ctx.storage.setAlarm(at);
  }

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
    return this.queue.run(() => this.appendNow(entry));
  }

  private async appendNow(entry: NewAuditEntry): Promise<AuditEntry> {
    const config = loadConfig(this.env);
    const [key] = config.signingKeys;
    if (key === undefined) throw new Error("no signing key configured");
    const tree = await this.loadTree();
    const full = auditEntry.parse({ ...entry, seq: tree.size, time: new Date().toISOString() });
    const text = canonicalJson(full);
    const leaf = leafHash(text);
    // The head is computed on a copy so a failed D1 write leaves the in-memory tree as D1 has it.
    const next = tree.clone();
    next.push(leaf);
    const root = next.root();
    const note = await signCheckpoint({ origin: config.auditOrigin, size: next.size, root }, key);
    const db = this.db();
    try {
      await db.batch([
        db.insert(auditEntries).values({ seq: full.seq, entry: text, leafHash: toHex(leaf) }),
        db.insert(auditCheckpoints).values({ treeSize: next.size, rootHash: toHex(root), note, signedAt: full.time }),
      ]);
    } catch (error) {
      // D1 is the record: if it disagrees with memory (say, seq already taken), reload before the next append.
      this.tree = undefined;
      throw error;
    }
    tree.push(leaf);
    await this.wakeBy(Date.now() + publishDelayMs);
    return full;
  }

  /**
   * An unauthenticated refusal: written at once only when it is its action's first this minute, else
   * counted and folded into one entry when the minute ends (refusals.ts). Says whether to answer 429.
   */
  async refusal(refusal: Refusal): Promise<{ limited: boolean }> {
    const minute = minuteOf(Date.now());
    const store = this.refusals;
    const verdict = judgeRefusal(store.counts(minute, refusal));
    store.add(minute, refusal);
    if (verdict.writeNow) await this.append({ ...refusal.entry, details: { ...refusal.entry.details, address: refusal.address } });
    await this.wakeBy((minute + 1) * 60_000 + 100);
    return { limited: verdict.limited };
  }

  /** Spends `cost` of `key`'s budget for the current minute, unless that would pass `limit`. */
  spend(key: string, cost: number, limit: number): { allowed: boolean; firstDenied: boolean } {
    return this.budgets.spend(minuteOf(Date.now()), key, cost, limit);
  }

  private async foldRefusals(now: number): Promise<void> {
    const store = this.refusals;
    for (const { minute, action } of store.due(minuteOf(now))) {
      const entry = foldedEntry(action, minute, store.rows(minute, action));
      if (entry !== undefined) await this.append(entry);
      store.forget(minute, action);
    }
    const latest = store.latestMinute();
    if (latest !== undefined) await this.wakeBy((latest + 1) * 60_000 + 100);
  }

  /** Folds ended minutes' refusals, then publishes the newest checkpoint outside D1; a throw makes the runtime retry the alarm. */
  override async alarm(): Promise<void> {
    try {
      await this.foldRefusals(Date.now());
      const [latest] = await this.db()
        .select({ treeSize: auditCheckpoints.treeSize, note: auditCheckpoints.note })
        .from(auditCheckpoints)
        .orderBy(desc(auditCheckpoints.treeSize))
        .limit(1);
      const published = (await this.ctx.storage.get<number>(publishedKey)) ?? 0;
      if (latest === undefined || latest.treeSize <= published) return;
      await publishCheckpoint(this.env, loadConfig(this.env), latest.treeSize, latest.note);
      await this.ctx.storage.put(publishedKey, latest.treeSize);
      log.info("audit.checkpoint_published", { size: latest.treeSize });
    } catch (error) {
      log.error("audit.checkpoint_publish_failed", { object: "AuditLog/global", ...errorFields(error) });
      throw error;
    }
  }
}

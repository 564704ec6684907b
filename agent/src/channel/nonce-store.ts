// Every command nonce the agent accepted, persisted under stateDir until the command could no longer
// pass the expiry check anyway (exp + allowed clock skew). A restart therefore does not reopen replay.
// Also the commands a `cancel` reached before they did: a restart must not let them run after all.
import { mkdir, readFile } from "node:fs/promises";
import path from "node:path";
import * as z from "zod";
import { RewindError } from "../../../shared/errors.ts";
import { clockToleranceSeconds, nowSeconds } from "../../../shared/signing.ts";
import { writeFileDurably } from "../host/durable-file.ts";
import { SerialQueue } from "../../../shared/serial-queue.ts";

const fileSchema = z.strictObject({
  version: z.literal(1),
  /** nonce → { command id, epoch second after which it can be forgotten } */
  nonces: z.record(z.string(), z.strictObject({ commandId: z.string(), forgetAfter: z.number() })),
  /** command id cancelled before it arrived → epoch second after which no command with that id can be valid */
  cancelled: z.record(z.string(), z.number()).optional(),
});
type NonceFile = z.output<typeof fileSchema>;

export class NonceStore {
  readonly file: string;
  #nonces: NonceFile["nonces"];
  #cancelled: Record<string, number>;
  readonly #writes = new SerialQueue();

  private constructor(file: string, nonces: NonceFile["nonces"], cancelled: Record<string, number>) {
    this.file = file;
    this.#nonces = nonces;
    this.#cancelled = cancelled;
  }

  static async open(stateDir: string, now: Date = new Date()): Promise<NonceStore> {
    await mkdir(stateDir, { recursive: true, mode: 0o700 });
    const file = path.join(stateDir, "nonces.json");
    let text: string | undefined;
    try {
      text = await readFile(file, "utf8");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
    }
    if (text === undefined) return new NonceStore(file, {}, {});
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch {
      raw = undefined;
    }
    const parsed = fileSchema.safeParse(raw);
    // A damaged store cannot prove which commands ran: refuse to start rather than accept replays.
    if (!parsed.success) {
      throw new RewindError(
        "CONFIG_INVALID",
        `replay-protection store ${file} is damaged; move it aside only if no command sent before now can still be valid`,
      );
    }
    const store = new NonceStore(file, parsed.data.nonces, parsed.data.cancelled ?? {});
    store.#prune(nowSeconds(now));
    return store;
  }

  has(nonce: string): boolean {
    return Object.hasOwn(this.#nonces, nonce);
  }

  size(): number {
    return Object.keys(this.#nonces).length;
  }

  /**
   * Records a verified command's nonce, durably, before the command may run. Throws REPLAYED if
   * it was seen before (also in an earlier run of the agent).
   */
  async remember(nonce: string, commandId: string, exp: number, now: Date = new Date()): Promise<void> {
    const existing = this.#nonces[nonce];
    if (existing !== undefined) {
      throw new RewindError("REPLAYED", `command ${commandId} reuses the nonce of command ${existing.commandId}: replay refused`);
    }
    this.#prune(nowSeconds(now));
    this.#nonces[nonce] = { commandId, forgetAfter: exp + clockToleranceSeconds };
    await this.#persist();
  }

  /** Records, durably, that `commandId` must never start: a cancel for it arrived first. */
  async cancelBeforeStart(commandId: string, forgetAfter: number, now: Date = new Date()): Promise<void> {
    this.#prune(nowSeconds(now));
    this.#cancelled[commandId] = Math.max(forgetAfter, this.#cancelled[commandId] ?? 0);
    await this.#persist();
  }

  /**
   * Whether a cancel for `commandId` arrived before it. Synchronous on purpose: the caller decides
   * and starts the command in one step, so a cancel lands wholly before or wholly after the start.
   */
  cancelledBeforeStart(commandId: string): boolean {
    return Object.hasOwn(this.#cancelled, commandId);
  }

  /** Forgets, durably, the cancel kept for `commandId` (it has been answered). */
  async forgetCancelled(commandId: string): Promise<void> {
    if (!Object.hasOwn(this.#cancelled, commandId)) return;
    delete this.#cancelled[commandId];
    await this.#persist();
  }

  /** True (and forgotten) when a cancel for `commandId` arrived before it. */
  async takeCancelled(commandId: string): Promise<boolean> {
    if (!this.cancelledBeforeStart(commandId)) return false;
    await this.forgetCancelled(commandId);
    return true;
  }

  #prune(nowSec: number): void {
    for (const [nonce, entry] of Object.entries(this.#nonces)) {
      if (entry.forgetAfter < nowSec) delete this.#nonces[nonce];
    }
    for (const [commandId, forgetAfter] of Object.entries(this.#cancelled)) {
      if (forgetAfter < nowSec) delete this.#cancelled[commandId];
    }
  }

  /**
   * Writes are chained so two quick commands never interleave their snapshots; an earlier write's
   * failure was already thrown to its own caller, so the chain only waits for it.
   */
  #persist(): Promise<void> {
    const snapshot = JSON.stringify({ version: 1, nonces: this.#nonces, cancelled: this.#cancelled } satisfies NonceFile);
    return this.#writes.run(() => writeFileDurably(this.file, snapshot, 0o600));
  }
}

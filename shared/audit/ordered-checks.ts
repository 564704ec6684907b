// Signature checks (checkpoints, agent reports) are asynchronous; awaiting each before reading the
// next line left the verifier idle most of the time. Queued here, they run while later lines are
// parsed and hashed, yet settle strictly in line order: the failure reported is still the first one
// in the log, with the progress counters as they stood when that check was queued.

/** What a settled check adds to the verifier's counters. */
export interface CheckCounts {
  checkpoints: number;
  agentReports: number;
}

interface Queued<F> {
  outcome: Promise<{ ok: true } | { ok: false; error: F | { unexpected: unknown } }>;
  counts: CheckCounts;
  /** Entries verified before this check was queued, reported if it fails. */
  entriesBefore: number;
}

export class OrderedChecks<F extends Error> {
  private readonly queue: Queued<F>[] = [];

  constructor(
    private readonly isFailure: (error: unknown) => error is F,
    private readonly onSettled: (counts: CheckCounts) => void,
    private readonly onFailed: (entriesBefore: number) => void,
    /** Checks in flight at most: bounds memory on a long log. */
    private readonly depth = 256,
  ) {}

  /** Queues a check; when the queue is full, waits for (and throws the failure of) the oldest. */
  async add(check: Promise<unknown>, counts: CheckCounts, entriesBefore: number): Promise<void> {
    // Settled into a value at once, so a check left behind by an earlier failure never becomes an
    // unhandled rejection.
    const outcome = check.then(
      () => ({ ok: true as const }),
      (error: unknown) => ({ ok: false as const, error: this.isFailure(error) ? error : { unexpected: error } }),
    );
    this.queue.push({ outcome, counts, entriesBefore });
    if (this.queue.length > this.depth) await this.settleOldest();
  }

  /** Settles every queued check in order, throwing the first failure. */
  async drain(): Promise<void> {
    while (this.queue.length > 0) await this.settleOldest();
  }

  /**
   * A failure found synchronously at the current line: a queued check from an earlier line that
   * fails takes precedence. Returns the error to throw.
   */
  async first(error: unknown): Promise<unknown> {
    try {
      await this.drain();
    } catch (earlier) {
      return earlier;
    }
    return error;
  }

  private async settleOldest(): Promise<void> {
    const oldest = this.queue.shift();
    if (oldest === undefined) return;
    const settled = await oldest.outcome;
    if (settled.ok) {
      this.onSettled(oldest.counts);
      return;
    }
    this.queue.length = 0;
    if ("unexpected" in settled.error) throw settled.error.unexpected;
    this.onFailed(oldest.entriesBefore);
    throw settled.error;
  }
}

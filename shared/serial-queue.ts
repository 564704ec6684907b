// Runs async tasks one after another in call order, so two writers never interleave (a file's
// snapshots, an append-only log, a Durable Object's decisions). A failed task fails only its own
// caller; the tasks queued after it still run.
export class SerialQueue {
  #tail: Promise<unknown> = Promise.resolve();

  run<T>(task: () => T | Promise<T>): Promise<T> {
    const result = this.#tail.then(task);
    this.#tail = result.catch(() => undefined);
    return result;
  }

  /** Settles once every task queued so far has (never rejects: failures went to their callers). */
  idle(): Promise<void> {
    return this.#tail.then(() => undefined);
  }
}

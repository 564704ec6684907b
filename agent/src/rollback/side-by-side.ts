// Two pieces of independent work run at the same time, as one: the first failure aborts the other
// (waiting out a long restore only to throw it away costs time before the downtime), and the caller
// gets back whatever did finish, so it can remove it, plus the failure that came first rather than
// the abort it caused in the other piece.

export interface BothSettled<A, B> {
  first?: A;
  second?: B;
  /** The first failure (of either piece); undefined when both finished. */
  error?: unknown;
}

type Work<T> = (signal: AbortSignal) => Promise<T>;

export async function sideBySide<A, B>(signal: AbortSignal, first: Work<A>, second: Work<B>): Promise<BothSettled<A, B>> {
  const stop = new AbortController();
  const shared = AbortSignal.any([signal, stop.signal]);
  const failures: unknown[] = [];
  const guard = <T>(work: Work<T>): Promise<T | undefined> =>
    // Promise.resolve().then: a piece that throws before its first await still counts as a failure.
    Promise.resolve()
      .then(() => work(shared))
      .catch((error: unknown) => {
        failures.push(error);
        stop.abort();
        return undefined;
      });
  const [a, b] = await Promise.all([guard(first), guard(second)]);
  return {
    ...(a === undefined ? {} : { first: a }),
    ...(b === undefined ? {} : { second: b }),
    ...(failures.length > 0 ? { error: failures[0] } : {}),
  };
}

import { describe, expect, it } from "vitest";
import { sideBySide } from "./side-by-side.ts";

/** Resolves with `value` after `ms`, or rejects with the abort's symptom as soon as `signal` aborts. */
function slow<T>(value: T, ms: number, signal: AbortSignal): Promise<T> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) reject(new Error("aborted"));
    const timer = setTimeout(() => resolve(value), ms);
    signal.addEventListener("abort", () => {
      clearTimeout(timer);
      reject(new Error("aborted"));
    });
  });
}

/** Counts itself in, then resolves with `value` once both pieces have counted in (fails after 5 s). */
async function meet<T>(value: T, arrive: () => number, arrived: () => number, signal: AbortSignal): Promise<T> {
  arrive();
  for (let waited = 0; arrived() < 2; waited += 10) {
    if (waited > 5_000) throw new Error("the other piece never started");
    await slow(undefined, 10, signal);
  }
  return value;
}

const open = () => new AbortController().signal;

describe("sideBySide", () => {
  it("runs both at the same time and returns both results", async () => {
    // Each piece finishes only once the other has started: run one after the other, they never would.
    let started = 0;
    const both = await sideBySide(
      open(),
      (signal) =>
        meet(
          "db",
          () => ++started,
          () => started,
          signal,
        ),
      (signal) =>
        meet(
          "files",
          () => ++started,
          () => started,
          signal,
        ),
    );
    expect(both).toEqual({ first: "db", second: "files" });
  });

  it("stops the other piece at the first failure and reports that failure, not the abort it caused", async () => {
    const started = performance.now();
    const both = await sideBySide(
      open(),
      (signal) => slow("db", 10_000, signal),
      async () => {
        throw new Error("archive unreadable");
      },
    );
    expect(performance.now() - started).toBeLessThan(5_000);
    expect(both.first).toBeUndefined();
    expect((both.error as Error).message).toBe("archive unreadable");
  });

  it("hands back what finished before the other failed, so the caller can remove it", async () => {
    const both = await sideBySide(
      open(),
      async () => "staged-db",
      async (signal) => {
        await slow(undefined, 50, signal);
        throw new Error("unpack failed");
      },
    );
    expect(both).toEqual({ first: "staged-db", error: new Error("unpack failed") });
  });

  it("passes the caller's cancellation to both pieces", async () => {
    const caller = new AbortController();
    const pending = sideBySide(
      caller.signal,
      (signal) => slow("db", 10_000, signal),
      (signal) => slow("files", 10_000, signal),
    );
    caller.abort();
    const both = await pending;
    expect(both.first).toBeUndefined();
    expect(both.second).toBeUndefined();
    expect((both.error as Error).message).toBe("aborted");
  });
});

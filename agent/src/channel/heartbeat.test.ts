import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { Heartbeat } from "./heartbeat.ts";

describe("heartbeat", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it("sends a heartbeat every interval while the peer answers", async () => {
    let sent = 0;
    const dead: number[] = [];
    const heartbeat = new Heartbeat({
      intervalMs: 1_000,
      timeoutMs: 3_000,
      send: () => {
        sent += 1;
        heartbeat.heard();
      },
      onDead: (silent) => dead.push(silent),
      now: () => Date.now(),
    });
    heartbeat.start();
    await vi.advanceTimersByTimeAsync(10_000);
    heartbeat.stop();
    expect(sent).toBe(10);
    expect(dead).toEqual([]);
  });

  it("declares the socket dead once after silence longer than the timeout", async () => {
    const dead: number[] = [];
    const heartbeat = new Heartbeat({ intervalMs: 1_000, timeoutMs: 3_000, send: () => undefined, onDead: (s) => dead.push(s) });
    heartbeat.start();
    await vi.advanceTimersByTimeAsync(10_000);
    expect(dead).toEqual([4_000]);
  });

  it("refuses a timeout that is not longer than the interval", () => {
    expect(() => new Heartbeat({ intervalMs: 1_000, timeoutMs: 1_000, send: () => undefined, onDead: () => undefined })).toThrow(TypeError);
  });
});

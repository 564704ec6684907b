// A stalled R2 bucket cannot be had locally (Miniflare's R2 answers from local storage at once), so an
// ARCHIVE binding whose calls never settle stands in for one. The manifest store (on the host's frame
// path) and the audit checkpoint publish must give up at the deadline with TIMED_OUT, not wait forever.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { generateSigningKey } from "../../../shared/signing.ts";
import { publishCheckpoint } from "../audit/checkpoint-publish.ts";
import { getObject, putObject } from "../backups/object-store.ts";
import { parseConfig } from "../config.ts";
import type { Env } from "../env.ts";
import { r2CallTimeoutMs, withR2Deadline } from "./r2-deadline.ts";
import { s3AttemptTimeoutMs, s3MaxAttempts } from "./s3-bounds.ts";

const never = () => new Promise<never>(() => undefined);
const stalledArchive = { put: never, get: never } as unknown as R2Bucket;

async function stalledEnv(): Promise<Env> {
  const key = await generateSigningKey("cp-1");
  return { SIGNING_KEYS: JSON.stringify([key.privateJwk]), ADMIN_TOKEN: "a-long-enough-admin-token-123", ARCHIVE: stalledArchive } as unknown as Env;
}

/** Settles `call` past the deadline on fake timers: still pending 1 ms before it, TIMED_OUT at it. */
async function outcomeAtDeadline(call: Promise<unknown>): Promise<unknown> {
  let settled: unknown = "pending";
  call.then(
    () => {
      settled = "resolved";
    },
    (error: unknown) => {
      settled = error;
    },
  );
  await vi.advanceTimersByTimeAsync(r2CallTimeoutMs - 1);
  expect(settled).toBe("pending");
  await vi.advanceTimersByTimeAsync(1);
  return settled;
}

const timedOut = (what: string) => expect.objectContaining({ code: "TIMED_OUT", message: expect.stringContaining(`R2 ${what} did not finish within 10 s`) });

describe("R2 calls under the S3 deadline", () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });

  afterEach(() => {
    vi.useRealTimers();
  });

  it("bounds one R2 call by every try of an S3 call", () => {
    expect(r2CallTimeoutMs).toBe(s3MaxAttempts * s3AttemptTimeoutMs);
  });

  it("fails a manifest store on a stalled ARCHIVE bucket with TIMED_OUT at the deadline", async () => {
    const env = await stalledEnv();
    expect(await outcomeAtDeadline(putObject(env, "manifests/web-1/b1.json", "{}"))).toEqual(timedOut("put of manifests/web-1/b1.json"));
  });

  it("fails a manifest read and an audit checkpoint publish on a stalled ARCHIVE bucket the same way", async () => {
    const env = await stalledEnv();
    expect(await outcomeAtDeadline(getObject(env, "r2", "manifests/web-1/b1.json"))).toEqual(timedOut("get of manifests/web-1/b1.json"));
    expect(await outcomeAtDeadline(publishCheckpoint(env, parseConfig(env), 7, "note"))).toEqual(timedOut("put of checkpoints/7.txt"));
  });

  it("passes a call that answers in time through, and leaves no timer behind", async () => {
    expect(await withR2Deadline("get of x", async () => "stored")).toBe("stored");
    expect(vi.getTimerCount()).toBe(0);
  });
});

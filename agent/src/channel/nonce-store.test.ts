import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { isRewindError } from "../../../shared/errors.ts";
import { nowSeconds } from "../../../shared/signing.ts";
import { NonceStore } from "./nonce-store.ts";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "rewind-nonces-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    if (isRewindError(error)) return error.code;
    throw error;
  }
  return "accepted";
}

describe("nonce store", () => {
  const now = new Date("2026-11-25T12:00:00Z");
  const exp = nowSeconds(now) + 300;

  it("refuses a nonce seen before, also after the store is reopened (agent restart)", async () => {
    const store = await NonceStore.open(dir, now);
    await store.remember("nonce-aaaaaaaaaaaaaaaa", "cmd-00000001", exp, now);
    expect(await codeOf(store.remember("nonce-aaaaaaaaaaaaaaaa", "cmd-00000002", exp, now))).toBe("REPLAYED");

    const reopened = await NonceStore.open(dir, now);
    expect(reopened.has("nonce-aaaaaaaaaaaaaaaa")).toBe(true);
    expect(await codeOf(reopened.remember("nonce-aaaaaaaaaaaaaaaa", "cmd-00000003", exp, now))).toBe("REPLAYED");
    expect(await codeOf(reopened.remember("nonce-bbbbbbbbbbbbbbbb", "cmd-00000004", exp, now))).toBe("accepted");
  });

  it("forgets a nonce only after its command's expiry plus the clock-skew allowance", async () => {
    const store = await NonceStore.open(dir, now);
    await store.remember("nonce-aaaaaaaaaaaaaaaa", "cmd-00000001", exp, now);
    const justInside = new Date((exp + 30) * 1000);
    expect((await NonceStore.open(dir, justInside)).has("nonce-aaaaaaaaaaaaaaaa")).toBe(true);
    const after = new Date((exp + 31) * 1000);
    expect((await NonceStore.open(dir, after)).size()).toBe(0);
  });

  it("keeps the store file private and whole", async () => {
    const store = await NonceStore.open(dir, now);
    await Promise.all(
      Array.from({ length: 20 }, (_, i) => store.remember(`nonce-${String(i).padStart(16, "0")}`, `cmd-${String(i).padStart(8, "0")}`, exp, now)),
    );
    const saved = JSON.parse(await readFile(store.file, "utf8")) as { nonces: Record<string, unknown> };
    expect(Object.keys(saved.nonces)).toHaveLength(20);
  });

  it("refuses to start on a damaged store rather than forget what ran", async () => {
    await writeFile(path.join(dir, "nonces.json"), "{ half a fi");
    expect(await codeOf(NonceStore.open(dir, now))).toBe("CONFIG_INVALID");
  });

  it("shows a cancel to the start check in the same synchronous step, before its write finished (issue 14.12)", async () => {
    const store = await NonceStore.open(dir, now);
    // The agent's cancel handler and the target's start each decide without awaiting in between:
    // this is what lets a cancel land wholly before or wholly after the start.
    const written = store.cancelBeforeStart("cmd-target", nowSeconds(now) + 600, now);
    expect(store.cancelledBeforeStart("cmd-target")).toBe(true);
    expect(store.cancelledBeforeStart("cmd-other")).toBe(false);
    await written;
    expect((await NonceStore.open(dir, now)).cancelledBeforeStart("cmd-target")).toBe(true);

    await store.forgetCancelled("cmd-target");
    expect(store.cancelledBeforeStart("cmd-target")).toBe(false);
    expect((await NonceStore.open(dir, now)).cancelledBeforeStart("cmd-target")).toBe(false);
  });
});

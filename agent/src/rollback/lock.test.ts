import { describe, expect, it } from "vitest";
import { decideLock } from "./lock.ts";

const holder = { rollbackId: "rb-held-0001", pid: 4242, acquiredAt: "2026-01-01T00:00:00.000Z" };

describe("decideLock", () => {
  it("acquires a free host, or one whose last rollback finished", () => {
    expect(decideLock({ holderAlive: false, holderFinished: false }, { resume: false })).toEqual({ kind: "acquire" });
    expect(decideLock({ holder, holderAlive: false, holderFinished: true }, { resume: false })).toEqual({ kind: "acquire" });
  });

  it("refuses while the holder runs", () => {
    const decision = decideLock({ holder, holderAlive: true, holderFinished: false }, { resume: false });
    expect(decision).toMatchObject({ kind: "locked", rollbackId: "rb-held-0001" });
    expect(decideLock({ holder, holderAlive: true, holderFinished: false }, { resume: true }).kind).toBe("locked");
  });

  it("treats a dead holder with an unfinished journal as resume, never steal", () => {
    const fresh = decideLock({ holder, holderAlive: false, holderFinished: false }, { resume: false });
    expect(fresh.kind).toBe("locked");
    expect(fresh.kind === "locked" && fresh.reason).toContain("--resume");
    expect(decideLock({ holder, holderAlive: false, holderFinished: false }, { resume: true })).toEqual({
      kind: "resume",
      rollbackId: "rb-held-0001",
    });
  });

  it("has nothing to resume when no rollback was interrupted", () => {
    expect(decideLock({ holderAlive: false, holderFinished: false }, { resume: true }).kind).toBe("locked");
  });
});

import { describe, expect, it } from "vitest";
import { isRewindError } from "../../../shared/errors.ts";
import { mergePinnedKeys } from "./key-update.ts";

const key = (kid: string, x: string) => ({ kty: "OKP" as const, crv: "Ed25519" as const, kid, x: x.padEnd(43, "A") });

describe("mergePinnedKeys", () => {
  it("adds keys it does not pin yet and keeps the ones it does", () => {
    const merged = mergePinnedKeys([key("cp-1", "a")], [key("cp-1", "a"), key("cp-2", "b")]);
    expect(merged.added).toEqual(["cp-2"]);
    expect(merged.keys.map((k) => k.kid)).toEqual(["cp-1", "cp-2"]);
  });

  it("refuses a different key under a kid it already pins", () => {
    let caught: unknown;
    try {
      mergePinnedKeys([key("cp-1", "a")], [key("cp-1", "b")]);
    } catch (error) {
      caught = error;
    }
    expect(isRewindError(caught, "SIGNATURE_INVALID")).toBe(true);
  });
});

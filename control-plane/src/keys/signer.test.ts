import { describe, expect, it } from "vitest";
import type { PrivateJwk } from "../../../shared/signing.ts";
import { activeKey, missingKids, signerFor } from "./signer.ts";

const key = (kid: string): PrivateJwk => ({ kty: "OKP", crv: "Ed25519", x: kid, d: kid, kid });
// Newest first, as `rewind keygen --rotate` writes them.
const keys = [key("cp-3"), key("cp-2"), key("cp-1")];

describe("activeKey", () => {
  it("is the newest promoted key, else the oldest", () => {
    expect(activeKey(keys, new Set())?.kid).toBe("cp-1");
    expect(activeKey(keys, new Set(["cp-2"]))?.kid).toBe("cp-2");
    expect(activeKey(keys, new Set(["cp-2", "cp-3"]))?.kid).toBe("cp-3");
  });
});

describe("signerFor", () => {
  it("signs with the active key for a host that pins it", () => {
    expect(signerFor(keys, new Set(["cp-2"]), new Set(["cp-1", "cp-2"]))?.kid).toBe("cp-2");
  });

  it("keeps signing with an older key for a host that has not pinned the active one yet", () => {
    expect(signerFor(keys, new Set(["cp-3"]), new Set(["cp-1", "cp-2"]))?.kid).toBe("cp-2");
    expect(signerFor(keys, new Set(["cp-3"]), undefined)?.kid).toBe("cp-1");
  });
});

describe("missingKids", () => {
  it("lists the published keys a host does not pin", () => {
    expect(missingKids(keys, new Set(["cp-1"]))).toEqual(["cp-3", "cp-2"]);
    expect(missingKids(keys, undefined)).toEqual(["cp-3", "cp-2"]);
    expect(missingKids(keys, new Set(["cp-1", "cp-2", "cp-3"]))).toEqual([]);
  });
});

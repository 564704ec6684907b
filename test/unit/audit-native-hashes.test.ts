// The CLI verifier's native hashes must give exactly the portable (and the control plane's) bytes,
// or every genuine export would fail verification — or a forged one could be built to pass.
import { describe, expect, it } from "vitest";
import { nativeHashes } from "../../agent/src/audit/native-hashes.ts";
import { leafHash, nodeHash, portableHashes, TreeBuilder, toHex } from "../../shared/audit/merkle.ts";

const entries = ['{"seq":0}', "", "ünïcödé ✓ 𝄞", '{"details":{"note":"line\\nbreak"},"seq":1}', "x".repeat(5000)];

describe("native Merkle hashes", () => {
  it("hash leaves as SHA-256(0x00 ‖ UTF-8 of the line), like the portable hash", () => {
    for (const entry of entries) expect(toHex(nativeHashes.leaf(entry))).toBe(toHex(leafHash(entry)));
  });

  it("hash nodes as SHA-256(0x01 ‖ left ‖ right), each call independent of the last", () => {
    const [a, b, c] = entries.map((entry) => leafHash(entry));
    if (a === undefined || b === undefined || c === undefined) throw new Error("fixture");
    const ab = nativeHashes.node(a, b);
    const bc = nativeHashes.node(b, c);
    expect(toHex(ab)).toBe(toHex(nodeHash(a, b)));
    expect(toHex(bc)).toBe(toHex(nodeHash(b, c)));
    expect(toHex(nativeHashes.node(b, a))).not.toBe(toHex(ab));
  });

  it("build the same tree head at every size", () => {
    const native = new TreeBuilder(nativeHashes);
    const portable = new TreeBuilder(portableHashes);
    for (let i = 0; i < 200; i += 1) {
      const line = `{"seq":${i}}`;
      native.push(nativeHashes.leaf(line));
      portable.push(portableHashes.leaf(line));
      expect(toHex(native.root())).toBe(toHex(portable.root()));
    }
  });
});

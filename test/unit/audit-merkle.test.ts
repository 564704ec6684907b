import { describe, expect, it } from "vitest";
import { refLeaf, refRoot, refVerifyConsistency, refVerifyInclusion } from "./audit-rfc9162-reference.ts";
import {
  consistencyProof,
  emptyRoot,
  inclusionProof,
  leafHash,
  rootOf,
  TreeBuilder,
  toHex,
  verifyConsistency,
  verifyInclusion,
} from "../../shared/audit/merkle.ts";

const data = (i: number) => Buffer.from(`entry ${i}`);
const leaves = (n: number) => Array.from({ length: n }, (_, i) => leafHash(data(i)));
const buf = (h: Uint8Array) => Buffer.from(h);

describe("RFC 9162 Merkle tree", () => {
  it("hashes leaves and computes tree heads exactly as the RFC's recursive definition", () => {
    expect(toHex(emptyRoot)).toBe("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    for (let n = 0; n <= 70; n += 1) {
      const ref = refRoot(Array.from({ length: n }, (_, i) => refLeaf(data(i))));
      expect(toHex(rootOf(leaves(n)))).toBe(ref.toString("hex"));
    }
  });

  it("keeps the incremental head right at every size while appending", () => {
    const all = leaves(300);
    const builder = new TreeBuilder();
    all.forEach((leaf, i) => {
      builder.push(leaf);
      expect(toHex(builder.root())).toBe(refRoot(all.slice(0, i + 1).map(buf)).toString("hex"));
    });
  });

  it("produces inclusion proofs both implementations accept, and rejects a wrong leaf or index", () => {
    const all = leaves(37);
    for (const size of [1, 2, 3, 7, 8, 9, 16, 37]) {
      const root = rootOf(all, 0, size);
      for (let index = 0; index < size; index += 1) {
        const proof = inclusionProof(all, index, size);
        const leaf = all[index] ?? new Uint8Array();
        expect(verifyInclusion(leaf, index, size, proof, root)).toBe(true);
        expect(refVerifyInclusion(buf(leaf), index, size, proof.map(buf), buf(root))).toBe(true);
        expect(verifyInclusion(leafHash("forged"), index, size, proof, root)).toBe(false);
        if (size > 1) expect(verifyInclusion(leaf, (index + 1) % size, size, proof, root)).toBe(false);
      }
    }
  });

  it("produces consistency proofs both implementations accept, and rejects a rewritten old tree", () => {
    const all = leaves(40);
    const rewritten = [...all];
    rewritten[2] = leafHash("rewritten");
    for (let second = 1; second <= 40; second += 1) {
      for (let first = 1; first <= second; first += 1) {
        const proof = consistencyProof(all, first, second);
        const oldRoot = rootOf(all, 0, first);
        const newRoot = rootOf(all, 0, second);
        expect(verifyConsistency(first, second, proof, oldRoot, newRoot)).toBe(true);
        expect(refVerifyConsistency(first, second, proof.map(buf), buf(oldRoot), buf(newRoot))).toBe(true);
        if (first > 2) {
          const forgedNew = rootOf(rewritten, 0, second);
          const forgedProof = consistencyProof(rewritten, first, second);
          expect(verifyConsistency(first, second, forgedProof, oldRoot, forgedNew)).toBe(false);
        }
      }
    }
  });
});

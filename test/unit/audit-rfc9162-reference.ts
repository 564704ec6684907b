// An independent RFC 9162 implementation for the tests: written straight from the RFC's recursive
// definitions (MTH, PATH, PROOF) with node:crypto, sharing no code with shared/audit/merkle.ts.
// Proofs are verified by rebuilding both roots recursively instead of the RFC's bit-walking loops.
import { createHash } from "node:crypto";

const sha = (...parts: Buffer[]): Buffer => createHash("sha256").update(Buffer.concat(parts)).digest();

export const refLeaf = (data: Buffer): Buffer => sha(Buffer.from([0]), data);
const refNode = (l: Buffer, r: Buffer): Buffer => sha(Buffer.from([1]), l, r);

function k(n: number): number {
  return 2 ** Math.ceil(Math.log2(n) - 1);
}

export function refRoot(leaves: Buffer[]): Buffer {
  if (leaves.length === 0) return sha();
  const [only] = leaves;
  if (leaves.length === 1 && only) return only;
  const split = k(leaves.length);
  return refNode(refRoot(leaves.slice(0, split)), refRoot(leaves.slice(split)));
}

/** Rebuilds the root from a leaf and its audit path; undefined when the path has the wrong shape. */
function rootFromPath(index: number, size: number, leaf: Buffer, path: Buffer[]): Buffer | undefined {
  if (size === 1) return path.length === 0 ? leaf : undefined;
  const sibling = path.at(-1);
  if (sibling === undefined) return undefined;
  const split = k(size);
  const rest = path.slice(0, -1);
  if (index < split) {
    const left = rootFromPath(index, split, leaf, rest);
    return left && refNode(left, sibling);
  }
  const right = rootFromPath(index - split, size - split, leaf, rest);
  return right && refNode(sibling, right);
}

export function refVerifyInclusion(leaf: Buffer, index: number, size: number, path: Buffer[], root: Buffer): boolean {
  if (index < 0 || index >= size) return false;
  return rootFromPath(index, size, leaf, path)?.equals(root) ?? false;
}

/** SUBPROOF run backwards: returns the (old, new) subtree hashes the proof implies. */
function rebuild(m: number, n: number, proof: Buffer[], whole: boolean, oldRoot: Buffer): [Buffer, Buffer] | undefined {
  if (m === n) {
    if (whole) return proof.length === 0 ? [oldRoot, oldRoot] : undefined;
    const [only] = proof;
    return proof.length === 1 && only ? [only, only] : undefined;
  }
  const last = proof.at(-1);
  if (last === undefined) return undefined;
  const split = k(n);
  const rest = proof.slice(0, -1);
  if (m <= split) {
    const inner = rebuild(m, split, rest, whole, oldRoot);
    return inner && [inner[0], refNode(inner[1], last)];
  }
  const inner = rebuild(m - split, n - split, rest, false, oldRoot);
  return inner && [refNode(last, inner[0]), refNode(last, inner[1])];
}

export function refVerifyConsistency(m: number, n: number, proof: Buffer[], oldRoot: Buffer, newRoot: Buffer): boolean {
  if (m < 1 || m > n) return false;
  const roots = rebuild(m, n, proof, true, oldRoot);
  if (roots === undefined) return false;
  return roots[0].equals(oldRoot) && roots[1].equals(newRoot);
}

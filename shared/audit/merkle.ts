// RFC 9162 (Certificate Transparency v2) Merkle tree: leaf/node hashing, the tree head computed
// incrementally (a stack of perfect subtrees, so 1,000,000 leaves need no big arrays or deep recursion),
// and inclusion/consistency proofs: generation over leaf hashes, verification per §2.1.3.2 and §2.1.4.2.
import { sha256 } from "@noble/hashes/sha2.js";

export type Hash = Uint8Array;

const encoder = new TextEncoder();

/** leaf = SHA-256(0x00 ‖ entry bytes): the prefix keeps a leaf from ever passing for an inner node. */
export function leafHash(entry: Uint8Array | string): Hash {
  const bytes = typeof entry === "string" ? encoder.encode(entry) : entry;
  const input = new Uint8Array(bytes.length + 1);
  input.set(bytes, 1);
  return sha256(input);
}

/** node = SHA-256(0x01 ‖ left ‖ right). */
export function nodeHash(left: Hash, right: Hash): Hash {
  const input = new Uint8Array(65);
  input[0] = 1;
  input.set(left, 1);
  input.set(right, 33);
  return sha256(input);
}

/** MTH of the empty tree: SHA-256 of the empty string. */
export const emptyRoot: Hash = sha256(new Uint8Array(0));

/**
 * The two hashes a tree is built with. These portable ones run everywhere; a runtime with a native
 * SHA-256 may pass its own (the CLI's verifier does: several times faster), computing the same bytes
 * in whatever form `H` is cheapest there, and `bytes` gives a hash's 32 bytes.
 */
export interface MerkleHashes<H = Hash> {
  leaf(entry: string): H;
  node(left: H, right: H): H;
  bytes(hash: H): Hash;
}

export const portableHashes: MerkleHashes = { leaf: leafHash, node: nodeHash, bytes: (hash) => hash };

/**
 * Appends leaf hashes one at a time and yields the tree head at any size in O(log n): it keeps one
 * hash per perfect subtree on the tree's left edge (their sizes are the binary digits of the leaf
 * count, largest first, so the count alone says which to merge).
 */
export class TreeBuilder<H = Hash> {
  private readonly stack: H[] = [];
  private count = 0;

  // The default is only right for H = Hash, which is what a call without hashes infers.
  constructor(private readonly hashes: MerkleHashes<H> = portableHashes as unknown as MerkleHashes<H>) {}

  clone(): TreeBuilder<H> {
    const copy = new TreeBuilder(this.hashes);
    copy.stack.push(...this.stack);
    copy.count = this.count;
    return copy;
  }

  get size(): number {
    return this.count;
  }

  push(leaf: H): void {
    let merged = leaf;
    // Each trailing 1 bit of the count is a perfect subtree as large as the one being carried.
    for (let n = this.count; n % 2 === 1; n = (n - 1) / 2) {
      const left = this.stack.pop();
      if (left === undefined) throw new Error("tree stack out of step with its size");
      merged = this.hashes.node(left, merged);
    }
    this.stack.push(merged);
    this.count += 1;
  }

  root(): Hash {
    let hash = this.stack.at(-1);
    if (hash === undefined) return emptyRoot;
    for (let i = this.stack.length - 2; i >= 0; i -= 1) {
      const left = this.stack[i];
      if (left !== undefined) hash = this.hashes.node(left, hash);
    }
    return this.hashes.bytes(hash);
  }
}

export function rootOf(leaves: readonly Hash[], start = 0, end = leaves.length): Hash {
  const builder = new TreeBuilder();
  for (let i = start; i < end; i += 1) {
    const leaf = leaves[i];
    if (leaf === undefined) throw new RangeError(`leaf ${i} is missing`);
    builder.push(leaf);
  }
  return builder.root();
}

/** Largest power of two strictly below n (n ≥ 2): where RFC 9162 splits a tree. */
function split(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/** Audit path for leaf `index` in the tree of the first `size` leaves, deepest sibling first. */
export function inclusionProof(leaves: readonly Hash[], index: number, size: number): Hash[] {
  if (!Number.isInteger(size) || size < 1 || size > leaves.length) throw new RangeError(`tree size ${size} out of range`);
  if (!Number.isInteger(index) || index < 0 || index >= size) throw new RangeError(`leaf index ${index} out of range`);
  const path: Hash[] = [];
  // Walks down from the root; siblings are collected top-down, then reversed into RFC order.
  let start = 0;
  let end = size;
  let m = index;
  while (end - start > 1) {
    const k = split(end - start);
    if (m < k) {
      path.push(rootOf(leaves, start + k, end));
      end = start + k;
    } else {
      path.push(rootOf(leaves, start, start + k));
      start += k;
      m -= k;
    }
  }
  return path.reverse();
}

/** Consistency proof between the trees of the first `first` and first `second` leaves (RFC 9162 §2.1.4.1). */
export function consistencyProof(leaves: readonly Hash[], first: number, second: number): Hash[] {
  if (!Number.isInteger(second) || second < 0 || second > leaves.length) throw new RangeError(`tree size ${second} out of range`);
  if (!Number.isInteger(first) || first < 0 || first > second) throw new RangeError(`old tree size ${first} out of range`);
  if (first === 0 || first === second) return [];
  const path: Hash[] = [];
  let start = 0;
  let end = second;
  let m = first;
  let complete = true;
  while (m !== end - start) {
    const k = split(end - start);
    if (m <= k) {
      path.push(rootOf(leaves, start + k, end));
      end = start + k;
    } else {
      path.push(rootOf(leaves, start, start + k));
      start += k;
      m -= k;
      complete = false;
    }
  }
  if (!complete) path.push(rootOf(leaves, start, end));
  return path.reverse();
}

export function equalHashes(a: Hash, b: Hash): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i += 1) diff |= (a[i] ?? 0) ^ (b[i] ?? 0);
  return diff === 0;
}

/** RFC 9162 §2.1.3.2: does `leaf` sit at `index` in the tree of `size` leaves with head `root`? */
export function verifyInclusion(leaf: Hash, index: number, size: number, proof: readonly Hash[], root: Hash): boolean {
  if (index < 0 || index >= size) return false;
  let fn = index;
  let sn = size - 1;
  let r = leaf;
  for (const p of proof) {
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      r = nodeHash(p, r);
      while (fn % 2 === 0 && fn !== 0) {
        fn = Math.floor(fn / 2);
        sn = Math.floor(sn / 2);
      }
    } else {
      r = nodeHash(r, p);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 && equalHashes(r, root);
}

function isPowerOfTwo(n: number): boolean {
  return n > 0 && (n & (n - 1)) === 0;
}

/** RFC 9162 §2.1.4.2: is the tree (`second`, `secondRoot`) an append-only extension of (`first`, `firstRoot`)? */
export function verifyConsistency(first: number, second: number, proof: readonly Hash[], firstRoot: Hash, secondRoot: Hash): boolean {
  if (first < 0 || first > second) return false;
  if (first === 0) return proof.length === 0;
  if (first === second) return proof.length === 0 && equalHashes(firstRoot, secondRoot);
  const path = isPowerOfTwo(first) ? [firstRoot, ...proof] : [...proof];
  const [head, ...rest] = path;
  if (head === undefined) return false;
  let fn = first - 1;
  let sn = second - 1;
  while (fn % 2 === 1) {
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  let fr = head;
  let sr = head;
  for (const c of rest) {
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      fr = nodeHash(c, fr);
      sr = nodeHash(c, sr);
      while (fn % 2 === 0 && fn !== 0) {
        fn = Math.floor(fn / 2);
        sn = Math.floor(sn / 2);
      }
    } else {
      sr = nodeHash(sr, c);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 && equalHashes(fr, firstRoot) && equalHashes(sr, secondRoot);
}

export function toHex(hash: Hash): string {
  return Array.from(hash, (b) => b.toString(16).padStart(2, "0")).join("");
}

export function fromHex(hex: string): Hash {
  if (!/^(?:[0-9a-f]{2})*$/.test(hex)) throw new TypeError("not lowercase hex");
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i += 1) out[i] = Number.parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return out;
}

export function toBase64(bytes: Uint8Array): string {
  let binary = "";
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary);
}

export function fromBase64(text: string): Uint8Array<ArrayBuffer> {
  const binary = atob(text);
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i += 1) out[i] = binary.charCodeAt(i);
  return out;
}

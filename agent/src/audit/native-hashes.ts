// RFC 9162's leaf and node hashes on Node's native SHA-256 (OpenSSL), for the CLI's verifier: the
// portable JavaScript SHA-256 in shared/audit/merkle.ts was most of `rewind audit verify`'s time.
// One-shot digests, no hash object per entry; the bytes are the same (test/unit/audit-native-hashes.test.ts).
import { hash } from "node:crypto";
import type { Hash, MerkleHashes } from "../../../shared/audit/merkle.ts";

// 0x01 ‖ left ‖ right, refilled for every node: digests are computed synchronously, so one buffer serves all.
const nodeInput = Buffer.alloc(65);
nodeInput[0] = 1;

export const nativeHashes: MerkleHashes = {
  leaf: (entry: string): Hash => hash("sha256", `\u0000${entry}`, "buffer"),
  node: (left: Hash, right: Hash): Hash => {
    nodeInput.set(left, 1);
    nodeInput.set(right, 33);
    return hash("sha256", nodeInput, "buffer");
  },
};

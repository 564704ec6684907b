// RFC 9162's leaf and node hashes on Node's native SHA-256 (OpenSSL), for the CLI's verifier: the
// portable JavaScript SHA-256 in shared/audit/merkle.ts was most of `rewind audit verify`'s time.
// One-shot digests, no hash object per entry; the bytes are the same (test/unit/audit-native-crypto.test.ts).
// Hashes are kept as 32-character latin1 strings (one char per byte; "binary" is latin1's other
// name): a tree built on digests returned as Buffers cost 2.3 times as much CPU here.
import * as nodeCrypto from "node:crypto";
import type { Hash, MerkleHashes } from "../../../shared/audit/merkle.ts";

// crypto.hash (one call, ~40 % cheaper than a Hash object for inputs this small) is Node >= 20.12;
// the agent supports any Node 20, where a Hash object per digest does the same.
const sha256: (data: string | Buffer) => string =
  typeof nodeCrypto.hash === "function"
    ? (data) => nodeCrypto.hash("sha256", data, "binary")
    : (data) => nodeCrypto.createHash("sha256").update(data).digest("binary");

// 0x01 ‖ left ‖ right, refilled for every node: digests are computed synchronously, so one buffer serves all.
const nodeInput = Buffer.alloc(65);
nodeInput[0] = 1;

export const nativeHashes: MerkleHashes<string> = {
  leaf: (entry) => sha256(`\u0000${entry}`),
  node: (left, right) => {
    nodeInput.write(left, 1, 32, "latin1");
    nodeInput.write(right, 33, 32, "latin1");
    return sha256(nodeInput);
  },
  bytes: (hash): Hash => Buffer.from(hash, "latin1"),
};

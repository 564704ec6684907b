// Ed25519 checks for the CLI's verifier on Node's own crypto: WebCrypto's verify costs the main
// thread ~40 µs per call before its work even leaves for the thread pool, node:crypto's callback
// form ~10 µs, which is what a series of one checkpoint per entry is bound by (issue 15).
import { createPublicKey, type KeyObject, verify } from "node:crypto";
import type { Ed25519Verify } from "../../../shared/audit/checkpoint.ts";

// One KeyObject per public key: a series names the same one or two keys many thousand times.
const keyObjects = new Map<string, KeyObject>();

/** The KeyObject of an Ed25519 public key (its JWK `x`), made once; throws on a malformed key. */
export function nativeKeyObject(x: string): KeyObject {
  let key = keyObjects.get(x);
  if (key === undefined) {
    key = createPublicKey({ key: { kty: "OKP", crv: "Ed25519", x }, format: "jwk" });
    keyObjects.set(x, key);
  }
  return key;
}

export const nativeEd25519: Ed25519Verify = (key, signature, message) =>
  new Promise((resolve, reject) => {
    verify(null, Buffer.from(message, "utf8"), nativeKeyObject(key.x), signature, (error, ok) => (error ? reject(error) : resolve(ok)));
  });

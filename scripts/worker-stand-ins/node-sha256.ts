// Stands in for @noble/hashes' SHA-256 and byte helpers in the Worker bundle (see
// scripts/worker-bundle-trims.ts): the Worker runs with nodejs_compat, whose node:crypto hashes natively,
// so it needs no SHA-256 in JavaScript (~5 KB). Same digests for the same bytes, and, as noble's, only
// bytes are hashed (test/unit/worker-bundle-trims.test.ts compares them). The agent and the CLI keep
// noble. Here, not in control-plane/src, because the Worker's tsconfig has no Node types.
import { createHash } from "node:crypto";

function bytesOnly(value: unknown): Uint8Array {
  if (!(value instanceof Uint8Array)) throw new TypeError(`expected Uint8Array, got type=${typeof value}`);
  return value;
}

export function sha256(message: Uint8Array): Uint8Array {
  return new Uint8Array(createHash("sha256").update(bytesOnly(message)).digest());
}

export function bytesToHex(bytes: Uint8Array): string {
  return Array.from(bytesOnly(bytes), (byte) => byte.toString(16).padStart(2, "0")).join("");
}

export function utf8ToBytes(text: string): Uint8Array {
  if (typeof text !== "string") throw new TypeError("string expected");
  return new TextEncoder().encode(text);
}

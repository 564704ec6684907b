// Signed tree heads in the C2SP tlog-checkpoint format (https://c2sp.org/tlog-checkpoint), a C2SP
// signed note (https://c2sp.org/signed-note) with an Ed25519 signature: plain text any auditor can
// check with openssl, independent of Rewind. Signing and verifying use WebCrypto (both runtimes).
import { sha256 } from "@noble/hashes/sha2.js";
import type { CryptoKey } from "jose";
import { RewindError } from "../errors.ts";
import type { PrivateJwk, PublicJwk } from "../signing.ts";
import { fromBase64, type Hash, toBase64 } from "./merkle.ts";

export interface TreeHead {
  origin: string;
  size: number;
  root: Hash;
}

export interface Checkpoint extends TreeHead {
  /** The signed bytes: origin, size and root lines, each ending in a newline. */
  body: string;
  /** The whole note as published. */
  text: string;
}

const encoder = new TextEncoder();
/** C2SP signed-note signature type byte for Ed25519. */
const ed25519Type = 0x01;
const signaturePrefix = "\u2014 ";

export function checkpointBody(head: TreeHead): string {
  if (!/^[^\s]+$/.test(head.origin)) throw new TypeError("checkpoint origin must be one non-empty word");
  return `${head.origin}\n${head.size}\n${toBase64(head.root)}\n`;
}

function base64UrlToBytes(text: string): Uint8Array {
  const padded = text.replace(/-/g, "+").replace(/_/g, "/");
  return fromBase64(padded + "=".repeat((4 - (padded.length % 4)) % 4));
}

/** Key hash = first 4 bytes of SHA-256(name ‖ 0x0A ‖ 0x01 ‖ 32-byte public key). */
export function noteKeyHash(name: string, jwk: PublicJwk): Uint8Array {
  const nameBytes = encoder.encode(name);
  const publicKey = base64UrlToBytes(jwk.x);
  const input = new Uint8Array(nameBytes.length + 2 + publicKey.length);
  input.set(nameBytes, 0);
  input[nameBytes.length] = 0x0a;
  input[nameBytes.length + 1] = ed25519Type;
  input.set(publicKey, nameBytes.length + 2);
  return sha256(input).slice(0, 4);
}

// A series of checkpoints names the same origin with the same keys every time: each key remembers
// the key hash of the last name it was asked for (bounded, whatever names a forged series holds).
const lastKeyHash = new WeakMap<PublicJwk, { name: string; hash: Uint8Array }>();

function cachedKeyHash(name: string, jwk: PublicJwk): Uint8Array {
  const last = lastKeyHash.get(jwk);
  if (last?.name === name) return last.hash;
  const hash = noteKeyHash(name, jwk);
  lastKeyHash.set(jwk, { name, hash });
  return hash;
}

/** The verifier key string the note ecosystem uses: `<name>+<hex key hash>+<base64(0x01 ‖ public key)>`. */
export function verifierKey(name: string, jwk: PublicJwk): string {
  const hex = Array.from(noteKeyHash(name, jwk), (b) => b.toString(16).padStart(2, "0")).join("");
  const publicKey = base64UrlToBytes(jwk.x);
  const typed = new Uint8Array(publicKey.length + 1);
  typed[0] = ed25519Type;
  typed.set(publicKey, 1);
  return `${name}+${hex}+${toBase64(typed)}`;
}

function jwkForWebCrypto(jwk: PublicJwk | PrivateJwk): { kty: string; crv: string; x: string; d?: string } {
  return { kty: jwk.kty, crv: jwk.crv, x: jwk.x, ...("d" in jwk && typeof jwk.d === "string" ? { d: jwk.d } : {}) };
}

// The log signs on every append with the same (frozen) config key: import it once per key object.
const signKeys = new WeakMap<PrivateJwk, CryptoKey>();

/** Signs a checkpoint; the key name is the origin, as C2SP suggests for a log's own key. */
export async function signCheckpoint(head: TreeHead, key: PrivateJwk): Promise<string> {
  const body = checkpointBody(head);
  let privateKey = signKeys.get(key);
  if (privateKey === undefined) {
    privateKey = await crypto.subtle.importKey("jwk", jwkForWebCrypto(key), { name: "Ed25519" }, false, ["sign"]);
    signKeys.set(key, privateKey);
  }
  const signature = new Uint8Array(await crypto.subtle.sign({ name: "Ed25519" }, privateKey, encoder.encode(body)));
  const blob = new Uint8Array(4 + signature.length);
  blob.set(noteKeyHash(head.origin, key), 0);
  blob.set(signature, 4);
  return `${body}\n${signaturePrefix}${head.origin} ${toBase64(blob)}\n`;
}

interface NoteSignature {
  name: string;
  keyHash: Uint8Array;
  signature: Uint8Array<ArrayBuffer>;
}

function malformed(why: string): RewindError {
  return new RewindError("MALFORMED", `checkpoint is malformed: ${why}`);
}

export interface ParsedCheckpoint {
  head: Checkpoint;
  signatures: NoteSignature[];
}

export function parseCheckpoint(text: string): ParsedCheckpoint {
  const split = text.indexOf("\n\n");
  if (split < 0) throw malformed("no blank line between body and signatures");
  const body = text.slice(0, split + 1);
  const [origin, sizeText, rootText, ...extensions] = body.slice(0, -1).split("\n");
  if (origin === undefined || origin === "" || sizeText === undefined || rootText === undefined) {
    throw malformed("expected origin, tree size and root hash lines");
  }
  if (extensions.some((line) => line === "")) throw malformed("empty extension line");
  if (!/^(0|[1-9][0-9]*)$/.test(sizeText)) throw malformed(`tree size '${sizeText}' is not a decimal number`);
  const size = Number(sizeText);
  if (!Number.isSafeInteger(size)) throw malformed("tree size too large");
  let root: Uint8Array;
  try {
    root = fromBase64(rootText);
  } catch {
    throw malformed("root hash is not base64");
  }
  if (root.length !== 32) throw malformed("root hash is not 32 bytes");
  const signatureText = text.slice(split + 2);
  if (!signatureText.endsWith("\n")) throw malformed("signature lines must end with a newline");
  const signatures: NoteSignature[] = [];
  for (const line of signatureText.slice(0, -1).split("\n")) {
    const match = /^\u2014 (\S+) ([A-Za-z0-9+/=]+)$/.exec(line);
    if (!match?.[1] || !match[2]) throw malformed(`bad signature line '${line}'`);
    const blob = fromBase64(match[2]);
    if (blob.length < 5) throw malformed("signature too short");
    signatures.push({ name: match[1], keyHash: blob.slice(0, 4), signature: blob.slice(4) });
  }
  if (signatures.length === 0) throw malformed("no signature line");
  return { head: { origin, size, root, body, text }, signatures };
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((value, i) => value === b[i]);
}

// Verifying a series of a million checkpoints would otherwise import the same key a million times.
const verifyKeys = new Map<string, Promise<CryptoKey>>();

function importVerifyKey(key: PublicJwk): Promise<CryptoKey> {
  let imported = verifyKeys.get(key.x);
  if (imported === undefined) {
    imported = crypto.subtle.importKey("jwk", jwkForWebCrypto(key), { name: "Ed25519" }, false, ["verify"]);
    verifyKeys.set(key.x, imported);
  }
  return imported;
}

/** Does `signature` over the UTF-8 of `message` verify with the Ed25519 `key`? */
export type Ed25519Verify = (key: PublicJwk, signature: Uint8Array<ArrayBuffer>, message: string) => Promise<boolean>;

/** WebCrypto's check, in both runtimes; the CLI's verifier passes Node's own, cheaper to start. */
export const webCryptoEd25519: Ed25519Verify = async (key, signature, message) =>
  crypto.subtle.verify({ name: "Ed25519" }, await importVerifyKey(key), signature, encoder.encode(message));

/**
 * Parses (unless given parsed) and checks a checkpoint against the log's public keys (any of them,
 * for rotation): a signature line must name the origin, carry a key hash of one of the keys and
 * verify over the body.
 */
export async function verifyCheckpoint(
  note: string | ParsedCheckpoint,
  keys: readonly PublicJwk[],
  ed25519: Ed25519Verify = webCryptoEd25519,
): Promise<Checkpoint> {
  const { head, signatures } = typeof note === "string" ? parseCheckpoint(note) : note;
  let known = false;
  for (const sig of signatures) {
    for (const key of keys) {
      if (sig.name !== head.origin || !sameBytes(sig.keyHash, cachedKeyHash(sig.name, key))) continue;
      known = true;
      if (await ed25519(key, sig.signature, head.body)) return head;
    }
  }
  if (!known) {
    throw new RewindError("UNKNOWN_KEY", `checkpoint for '${head.origin}' is not signed by any of the given keys`);
  }
  throw new RewindError("SIGNATURE_INVALID", `checkpoint for '${head.origin}' has an invalid signature`);
}

// Bearer secrets: generated with 256 bits of randomness, stored only as their SHA-256, compared in
// constant time. Pure apart from the platform's Web Crypto.
import { randomId } from "../../../shared/signing.ts";

export function newSecret(prefix: string): string {
  return `${prefix}_${randomId()}${randomId()}`;
}

export async function sha256Hex(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return Array.from(new Uint8Array(digest), (byte) => byte.toString(16).padStart(2, "0")).join("");
}

/** Compares two secrets through their digests, so timing reveals neither length nor prefix. */
export async function secretsEqual(a: string, b: string): Promise<boolean> {
  const [left, right] = await Promise.all([sha256Hex(a), sha256Hex(b)]);
  let diff = 0;
  for (let i = 0; i < left.length; i++) diff |= left.charCodeAt(i) ^ right.charCodeAt(i);
  return diff === 0;
}

/** `Authorization: Bearer <secret>` → the secret, or undefined when absent or not a bearer. */
export function bearerOf(header: string | undefined): string | undefined {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? "");
  return match?.[1];
}

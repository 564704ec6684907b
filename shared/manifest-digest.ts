// The one hash both sides give a backup manifest: SHA-256 of its canonical JSON, after the shared
// schema parsed it. The control plane signs it into rollback commands; the agent accepts a manifest
// fetched back from an off-site bucket only when it hashes to that value.
import { sha256 } from "@noble/hashes/sha2.js";
import { canonicalJson } from "./canonical-json.ts";
import type { BackupManifest } from "./schemas/manifest.ts";

export function manifestSha256(manifest: BackupManifest): string {
  const digest = sha256(new TextEncoder().encode(canonicalJson(manifest)));
  return Array.from(digest, (byte) => byte.toString(16).padStart(2, "0")).join("");
}

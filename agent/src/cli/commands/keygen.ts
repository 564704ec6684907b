// `rewind keygen`: makes an Ed25519 signing key for the control plane's SIGNING_KEYS secret, so an
// operator never needs another tool (or a web page) to hold the key that signs every command.
import { parseArgs } from "node:util";
import { RewindError } from "../../../../shared/errors.ts";
import { generateSigningKey, keyFingerprint } from "../../../../shared/signing.ts";
import type { Subcommand } from "../main.ts";

export const run: Subcommand = async (argv, io) => {
  let values: { kid?: string | undefined; rotate?: string | undefined };
  try {
    ({ values } = parseArgs({ args: argv, options: { kid: { type: "string" }, rotate: { type: "string" } } }));
  } catch (error) {
    throw new RewindError("BAD_REQUEST", `keygen: ${(error as Error).message}; usage: rewind keygen --kid NAME [--rotate EXISTING_JSON]`);
  }
  if (!values.kid || !/^[A-Za-z0-9._-]{1,64}$/.test(values.kid)) {
    throw new RewindError("BAD_REQUEST", "keygen: --kid NAME is required (1-64 chars of A-Z a-z 0-9 . _ -), e.g. --kid cp-2026-11");
  }
  const key = await generateSigningKey(values.kid);
  let keys: unknown[] = [key.privateJwk];
  if (values.rotate !== undefined) {
    // Rotation: the new key signs from now on, the old ones stay published until their commands expired.
    let existing: unknown;
    try {
      existing = JSON.parse(values.rotate);
    } catch {
      throw new RewindError("BAD_REQUEST", "keygen: --rotate must be the current SIGNING_KEYS JSON array");
    }
    if (!Array.isArray(existing)) throw new RewindError("BAD_REQUEST", "keygen: --rotate must be a JSON array");
    keys = [key.privateJwk, ...existing];
  }
  io.stderr.write(`new key ${values.kid}, fingerprint ${await keyFingerprint(key.publicJwk)}\n`);
  io.stderr.write("store the line below with: npx wrangler secret put SIGNING_KEYS\n");
  io.stdout.write(`${JSON.stringify(keys)}\n`);
  return 0;
};

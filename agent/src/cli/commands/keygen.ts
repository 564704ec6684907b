// `rewind keygen`: makes an Ed25519 signing key for the control plane's SIGNING_KEYS secret, so an
// operator never needs another tool (or a web page) to hold the key that signs every command.
import { generateSigningKey, keyFingerprint } from "../../../../shared/signing.ts";
import { parseCommand, usageError } from "../args.ts";
import type { CliIo, Command } from "../io.ts";
import { secretFrom } from "../secret-source.ts";

const options = {
  kid: { type: "string", value: "NAME", description: "the key's id, 1-64 of A-Z a-z 0-9 . _ - (required), e.g. cp-2026-11" },
  rotate: {
    type: "string",
    value: "JSON",
    description: "the current SIGNING_KEYS array (private keys: prefer --rotate-file)",
  },
  "rotate-file": {
    type: "string",
    value: "PATH",
    description: "read the current SIGNING_KEYS array from this file, or from stdin with '-' (keeps private keys out of argv)",
  },
} as const;

async function run(argv: string[], io: CliIo): Promise<number> {
  const { values } = parseCommand(options, argv);
  if (values.kid === undefined || !/^[A-Za-z0-9._-]{1,64}$/.test(values.kid)) {
    throw usageError("--kid NAME is required (1-64 chars of A-Z a-z 0-9 . _ -), e.g. --kid cp-2026-11");
  }
  const key = await generateSigningKey(values.kid);
  let keys: unknown[] = [key.privateJwk];
  const rotate = await secretFrom(
    io,
    { inline: values.rotate, file: values["rotate-file"] },
    { inline: "--rotate", file: "--rotate-file" },
    "current SIGNING_KEYS: ",
  );
  if (rotate !== undefined) {
    // Rotation: the new key is published first; it signs only once every online agent pinned it
    // (POST /v1/signing-keys/rollout) or an admin promoted it, and older keys keep signing for
    // agents that have not pinned it yet.
    let existing: unknown;
    try {
      existing = JSON.parse(rotate);
    } catch {
      throw usageError("--rotate must be the current SIGNING_KEYS JSON array");
    }
    if (!Array.isArray(existing)) throw usageError("--rotate must be a JSON array");
    keys = [key.privateJwk, ...existing];
  }
  io.stderr.write(`new key ${values.kid}, fingerprint ${await keyFingerprint(key.publicJwk)}\n`);
  io.stderr.write("store the line below with: npx wrangler secret put SIGNING_KEYS\n");
  if (rotate !== undefined) {
    io.stderr.write(`then hand it to the agents: POST /v1/signing-keys/rollout (admin); it signs once they all pinned it (GET /v1/signing-keys)\n`);
  }
  io.stdout.write(`${JSON.stringify(keys)}\n`);
  return 0;
}

export const command: Command = {
  help: {
    usage: ["rewind keygen --kid NAME [--rotate-file PATH|- | --rotate CURRENT_SIGNING_KEYS_JSON]"],
    description:
      "Makes an Ed25519 key for the control plane's SIGNING_KEYS secret and prints the secret's new value (a\nJSON array of private JWKs) on stdout; the fingerprint goes to stderr. Pipe it straight into\n`npx wrangler secret put SIGNING_KEYS` so the private key never lands in a file.",
    options,
    exitCodes: [
      [0, "printed"],
      [2, "bad arguments"],
    ],
  },
  run,
};

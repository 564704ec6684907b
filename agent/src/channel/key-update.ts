// The `key-update` command: the control plane, with a key this agent already pins, hands over a new
// signing key before it starts signing with it. Keys are only ever added, never learned otherwise,
// and a kid already pinned must keep its key (a different key under a known kid is refused). The
// pinned set is written back to the agent config atomically, so a restart keeps it.
import { readFile } from "node:fs/promises";
import { RewindError } from "../../../shared/errors.ts";
import type { PinnedKey } from "../../../shared/schemas/command.ts";
import type { PublicJwk } from "../../../shared/signing.ts";
import { writeFileDurably } from "../host/durable-file.ts";

export interface MergedKeys {
  keys: PublicJwk[];
  added: string[];
}

/** The pinned set with `incoming` added. Pure. */
export function mergePinnedKeys(current: readonly PublicJwk[], incoming: readonly PinnedKey[]): MergedKeys {
  const keys = [...current];
  const added: string[] = [];
  for (const key of incoming) {
    const known = keys.find((k) => k.kid === key.kid);
    if (known !== undefined) {
      if (known.x !== key.x) {
        throw new RewindError("SIGNATURE_INVALID", `key-update names kid ${key.kid}, which this agent already pins with a different key; refused`);
      }
      continue;
    }
    keys.push({ kty: key.kty, crv: key.crv, x: key.x, kid: key.kid });
    added.push(key.kid);
  }
  return { keys, added };
}

/** Rewrites `controlPlane.keys` in the agent's config file, leaving every other setting as it is. */
export async function persistPinnedKeys(configFile: string, keys: readonly PublicJwk[]): Promise<void> {
  const raw = JSON.parse(await readFile(configFile, "utf8")) as { controlPlane?: { keys?: unknown } };
  if (raw.controlPlane === undefined) throw new RewindError("CONFIG_INVALID", `${configFile} has no controlPlane section to pin keys in`);
  raw.controlPlane.keys = keys;
  await writeFileDurably(configFile, `${JSON.stringify(raw, null, 2)}\n`, 0o600);
}

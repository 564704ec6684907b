// A host's side of a key rotation: the key-update command that hands its agent the published keys it
// does not pin yet (sent when it connects, and for every host on POST /v1/signing-keys/rollout), and
// the agent's signed answer, which records what it pins now and may promote the new key.
import * as z from "../../../shared/schemas/zod.ts";
import type { CommandAction } from "../../../shared/schemas/command.ts";
import type { Report } from "../../../shared/schemas/report.ts";
import { loadConfig } from "../config.ts";
import type { Env } from "../env.ts";
import { missingKids } from "./signer.ts";
import { pinnedKeyOf, pinnedKids, promoteWhereReady, recordPins } from "./store.ts";

export const keyUpdateTtlSeconds = 15 * 60;

export async function keyUpdateFor(env: Env, host: string): Promise<CommandAction | undefined> {
  const keys = loadConfig(env).signingKeys;
  const missing = new Set(missingKids(keys, await pinnedKids(env, host)));
  if (missing.size === 0) return undefined;
  return { type: "key-update", keys: keys.filter((key) => key.kid !== undefined && missing.has(key.kid)).map(pinnedKeyOf) };
}

const keyUpdateOutput = z.object({ pinnedKeys: z.array(z.string().check(z.minLength(1), z.maxLength(64))).check(z.maxLength(64)) });

/** A result report: when it answers a key-update (its output names the pinned keys), record them. */
export async function onKeyUpdateResult(env: Env, host: string, report: Report): Promise<void> {
  if (report.kind !== "result" || !report.ok) return;
  const output = keyUpdateOutput.safeParse(report.output);
  if (!output.success) return;
  await recordPins(env, host, output.data.pinnedKeys, Date.now());
  await promoteWhereReady(env);
}

// Signs one command for one host with the control plane's current key: the claims the agent checks
// (audience, expiry, a fresh nonce) around a typed action.
import { RewindError } from "../../../shared/errors.ts";
import type { CommandAction, CommandClaims, Preconditions } from "../../../shared/schemas/command.ts";
import { nowSeconds, randomId, signCommand } from "../../../shared/signing.ts";
import { loadConfig } from "../config.ts";
import type { Env } from "../env.ts";

export interface SignedCommand {
  claims: CommandClaims;
  jws: string;
}

export async function signHostCommand(
  env: Env,
  host: string,
  action: CommandAction,
  options: { ttlSeconds: number; now?: Date; preconditions?: Preconditions },
): Promise<SignedCommand> {
  const [key] = loadConfig(env).signingKeys;
  if (key === undefined) throw new RewindError("CONFIG_INVALID", "no signing key configured", { details: { field: "SIGNING_KEYS" } });
  const iat = nowSeconds(options.now ?? new Date());
  const claims: CommandClaims = {
    iss: "rewind-control-plane",
    aud: host,
    jti: randomId(),
    nonce: `${randomId()}${randomId()}`,
    iat,
    exp: iat + options.ttlSeconds,
    action,
    ...(options.preconditions === undefined ? {} : { pre: options.preconditions }),
  };
  return { claims, jws: await signCommand(claims, key) };
}

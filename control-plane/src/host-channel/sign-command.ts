// Signs one command for one host with the key chosen for it (keys/signer.ts: the promoted key, or an
// older one the host still pins during a rotation): the claims the agent checks (audience, expiry, a
// fresh nonce) around a typed action.
import { RewindError } from "../../../shared/errors.ts";
import type { CommandAction, CommandClaims, Preconditions } from "../../../shared/schemas/command.ts";
import { nowSeconds, randomId, signCommand } from "../../../shared/signing.ts";
import type { Env } from "../env.ts";
import { signingKeyFor } from "../keys/store.ts";

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
  const key = await signingKeyFor(env, host);
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

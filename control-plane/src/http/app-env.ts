// Hono's typing for this Worker: the bindings, and what middleware puts on the context.
import type { Role } from "../../../shared/schemas/audit.ts";
import type { Env } from "../env.ts";

/** Who is calling: a stored token, or the bootstrap admin secret (token id "admin"). */
export interface TokenActor {
  kind: "token";
  tokenId: string;
  role: Role;
}

export interface AppEnv {
  Bindings: Env;
  Variables: { actor: TokenActor };
}

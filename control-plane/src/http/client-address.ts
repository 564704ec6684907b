// The client's address as Cloudflare saw it (CF-Connecting-IP), for counting refusals per address.
import type { Context } from "hono";
import type { AppEnv } from "./app-env.ts";

export function clientAddress(c: Context<AppEnv>): string | undefined {
  return c.req.header("cf-connecting-ip") ?? undefined;
}

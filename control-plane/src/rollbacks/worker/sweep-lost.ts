// The cron's sweep for rollbacks past their lost deadline. A host's Durable Object marks its running
// rollback lost from its alarm; should that alarm never fire (lost, or never set again), the rollback
// would block its host forever. Every host D1 lists with a running rollback is asked to check its own
// (the object holds the last progress and the bound the agent gave): it audits and notifies as its
// alarm would, and arms the alarm again.
import { eq } from "drizzle-orm";
import { database } from "../../db/client.ts";
import { rollbacks } from "../../db/schema.ts";
import type { Env } from "../../env.ts";
import { errorFields, log } from "../../log.ts";
import { unwrap } from "../rpc-outcome.ts";

/** Returns the hosts checked; one host failing does not stop the others. */
export async function sweepLostRollbacks(env: Env): Promise<string[]> {
  const rows = await database(env).selectDistinct({ host: rollbacks.host }).from(rollbacks).where(eq(rollbacks.state, "running"));
  const checked: string[] = [];
  for (const { host } of rows) {
    try {
      unwrap(await env.HOST.get(env.HOST.idFromName(host)).sweepLostRollbacks(host));
      checked.push(host);
    } catch (error) {
      log.error("rollbacks.sweep_failed", { host, ...errorFields(error) });
    }
  }
  return checked;
}

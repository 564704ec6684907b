// Every connection Rewind opens to PostgreSQL: bounded connect time, a server-side statement
// timeout (the server cancels a stuck statement and the session stays usable), TCP keepalive so
// a vanished server is noticed. A connection failure is UNAVAILABLE, retryable.
import pg from "pg";
import { RewindError } from "../../../shared/errors.ts";
import { type PgTimeouts, pgTimeoutDefaults } from "./pg-timeouts.ts";

export type ConnectTimeouts = Pick<PgTimeouts, "connectSeconds" | "statementSeconds">;

/** node-pg's settings for `timeouts`: pure, so the mapping is tested without a server. */
export function clientConfig(url: string, timeouts: ConnectTimeouts = pgTimeoutDefaults): pg.ClientConfig {
  return {
    connectionString: url,
    connectionTimeoutMillis: timeouts.connectSeconds * 1000,
    statement_timeout: timeouts.statementSeconds * 1000,
    keepAlive: true,
  };
}

export async function connectPg(url: string, timeouts: ConnectTimeouts = pgTimeoutDefaults): Promise<pg.Client> {
  const client = new pg.Client(clientConfig(url, timeouts));
  try {
    await client.connect();
    return client;
  } catch (error) {
    // A failed connect can leave the socket open (the timeout case): close it, keep the connect error.
    await client.end().catch(() => undefined);
    throw new RewindError("UNAVAILABLE", `PostgreSQL is not reachable: ${(error as Error).message}`, { retryable: true, cause: error });
  }
}

/** Runs `work` on a fresh connection to `url` and always closes it. */
export async function withPg<T>(url: string, work: (client: pg.Client) => Promise<T>, timeouts: ConnectTimeouts = pgTimeoutDefaults): Promise<T> {
  const client = await connectPg(url, timeouts);
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

// Every connection Rewind opens to PostgreSQL: bounded connect time, a server-side statement
// timeout (the server cancels a stuck statement and the session stays usable), TCP keepalive so
// a vanished server is noticed. A connection failure is UNAVAILABLE, retryable.
import pg from "pg";
import { parseIntoClientConfig } from "pg-connection-string";
import { RewindError } from "../../../shared/errors.ts";
import { type PgTimeouts, pgTimeoutDefaults } from "./pg-timeouts.ts";

export type ConnectTimeouts = Pick<PgTimeouts, "connectSeconds" | "statementSeconds">;

/**
 * Where to connect: a URL as the operator wrote it, or a named database on the server a URL
 * reaches. node-pg reads a URL's database with decodeURI, which leaves `%3F`, `%23`, `%3A`, `%2F`...
 * encoded, so a database named with `? # : / @ ; & = + $ ,` would be looked up under another name:
 * the name travels as its own field instead (pg's own parser reads the rest of the URL).
 */
export type PgAddress = string | { url: string; database: string };

/** node-pg's settings for `timeouts`: pure, so the mapping is tested without a server. */
export function clientConfig(address: PgAddress, timeouts: ConnectTimeouts = pgTimeoutDefaults): pg.ClientConfig {
  return {
    ...(typeof address === "string" ? { connectionString: address } : { ...parseIntoClientConfig(address.url), database: address.database }),
    connectionTimeoutMillis: timeouts.connectSeconds * 1000,
    statement_timeout: timeouts.statementSeconds * 1000,
    keepAlive: true,
  };
}

export async function connectPg(address: PgAddress, timeouts: ConnectTimeouts = pgTimeoutDefaults): Promise<pg.Client> {
  const client = new pg.Client(clientConfig(address, timeouts));
  try {
    await client.connect();
    return client;
  } catch (error) {
    // A failed connect can leave the socket open (the timeout case): close it, keep the connect error.
    await client.end().catch(() => undefined);
    throw new RewindError("UNAVAILABLE", `PostgreSQL is not reachable: ${(error as Error).message}`, { retryable: true, cause: error });
  }
}

/** Runs `work` on a fresh connection to `address` and always closes it. */
export async function withPg<T>(address: PgAddress, work: (client: pg.Client) => Promise<T>, timeouts: ConnectTimeouts = pgTimeoutDefaults): Promise<T> {
  const client = await connectPg(address, timeouts);
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

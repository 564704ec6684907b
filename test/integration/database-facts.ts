// What a DBA checks on a database besides its rows, read with plain SQL (not the agent's own
// reader), so tests compare a restored database with the live one independently of the code.
import pg from "pg";

export async function sql<T extends pg.QueryResultRow>(url: string, text: string, values: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(text, values)).rows;
  } finally {
    await client.end();
  }
}

/** Encoding, locale, owner, connection limit, ACL, comment and settings of `db`; the oid says whether it is the same database. */
export async function databaseFacts(adminUrl: string, db: string): Promise<Record<string, unknown>> {
  const [facts] = await sql(
    adminUrl,
    `SELECT d.oid::text AS oid, pg_encoding_to_char(d.encoding) AS encoding, d.datcollate, d.datctype, d.datlocprovider, d.daticulocale,
            pg_get_userbyid(d.datdba) AS owner, d.datconnlimit, d.datacl::text AS acl, shobj_description(d.oid, 'pg_database') AS comment,
            (SELECT array_agg(coalesce(pg_get_userbyid(nullif(s.setrole, 0)), '*') || ':' || array_to_string(s.setconfig, ';') ORDER BY s.setrole)
               FROM pg_db_role_setting s WHERE s.setdatabase = d.oid) AS settings
       FROM pg_database d WHERE d.datname = $1`,
    [db],
  );
  return facts ?? {};
}

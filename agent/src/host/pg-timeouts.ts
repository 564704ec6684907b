// How long Rewind waits on PostgreSQL: a connection, one statement on its own sessions, and one
// run of pg_dump, psql or pg_restore. Defaults sized for a real database (an exact count(*) on a
// large table, a restore of many GB); config `project.database.timeouts` overrides them.

export interface PgTimeouts {
  /** Seconds to wait for a connection (server down, network partition, `max_connections` reached). */
  connectSeconds: number;
  /** Longest single statement on Rewind's own connections: the server cancels it, nothing is left half-done. */
  statementSeconds: number;
  /** Longest run of pg_dump, psql or pg_restore; the tool is then stopped and the step fails. */
  toolSeconds: number;
}

export const pgTimeoutDefaults: Readonly<PgTimeouts> = Object.freeze({
  connectSeconds: 10,
  statementSeconds: 15 * 60,
  toolSeconds: 4 * 60 * 60,
});

// Database names in connection URLs. pg_dump, psql and pg_restore get their database as a URL's
// path, and the operator writes the maintenance database the same way (project.database.adminUrl);
// URL parsers resolve `.` and `..` path steps and split on `/`, so such names would silently reach
// PostgreSQL as another database. Pure, checked once when the config is read.

/**
 * Why `name` cannot travel as a connection URL's path (pg_dump, psql and pg_restore get their
 * database that way), or undefined. URL parsers resolve `.` and `..` (also written `%2E`) as path
 * steps, so the tools would silently connect to the user's default database instead.
 */
export function databaseNameProblem(name: string): string | undefined {
  if (name === "." || name === "..") return `'${name}' cannot be used as a database name: in a connection URL it is a path step, not a name`;
  return undefined;
}

/**
 * Why the database in `url`'s path (as written, before any parser resolves it) is not one plain name,
 * or undefined: `.`, `..` and a path of several segments (`/` or `%2F` inside) all reach node-pg as
 * another database than the one written, or none. An empty path (libpq's default database) is fine.
 */
export function urlDatabaseProblem(url: string): string | undefined {
  const rawPath = /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*\/([^?#]*)/i.exec(url)?.[1];
  if (rawPath === undefined || rawPath === "") return undefined;
  let name: string;
  try {
    name = decodeURIComponent(rawPath);
  } catch {
    return `the database in the URL path, '${rawPath}', is not valid percent-encoding`;
  }
  if (name.includes("/"))
    return `the URL path '/${rawPath}' names more than one path segment: write the database as one name (a '/' in it as %2F is refused too)`;
  return databaseNameProblem(name);
}

// Which services stop and start, and in what order: app services stop before infrastructure and
// start after it. The database service keeps running, because the swap renames databases inside it.

/** Service names taken to be the PostgreSQL server when it runs inside the compose project. */
export const databaseServiceNames: readonly string[] = ["postgres", "postgresql", "db"];

export interface Ordered<T> {
  app: T[];
  infra: T[];
}

function split<T extends { service: string }>(items: readonly T[], infraServices: readonly string[]): Ordered<T> {
  return {
    app: items.filter((i) => !infraServices.includes(i.service)),
    infra: items.filter((i) => infraServices.includes(i.service)),
  };
}

/** Containers to stop, app first; the database service stays up when the rollback restores data. */
export function stopOrder<T extends { service: string }>(
  items: readonly T[],
  infraServices: readonly string[],
  keepDatabaseRunning: boolean,
): T[] {
  const { app, infra } = split(items, infraServices);
  return [...app, ...infra.filter((i) => !(keepDatabaseRunning && databaseServiceNames.includes(i.service)))];
}

/** Containers to (re)create, infrastructure first. */
export function startOrder<T extends { service: string }>(items: readonly T[], infraServices: readonly string[]): T[] {
  const { app, infra } = split(items, infraServices);
  return [...infra, ...app];
}

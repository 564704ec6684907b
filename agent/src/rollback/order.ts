// Which services stop and start, and in what order: app services stop before infrastructure and
// start after it. The database service (config `project.database.service`) keeps running during a
// data restore, because the swap renames databases inside it.

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

/** Containers to stop, app first; `keepRunning` (the database service during a data restore) stays up. */
export function stopOrder<T extends { service: string }>(items: readonly T[], infraServices: readonly string[], keepRunning?: string): T[] {
  const { app, infra } = split(
    items.filter((i) => i.service !== keepRunning),
    infraServices,
  );
  return [...app, ...infra];
}

/** Containers to (re)create, infrastructure first. */
export function startOrder<T extends { service: string }>(items: readonly T[], infraServices: readonly string[]): T[] {
  const { app, infra } = split(items, infraServices);
  return [...infra, ...app];
}

/** The service a rollback leaves running: PostgreSQL's, when the rollback restores data inside it. */
export function keptRunning(mode: "full" | "code-only", databaseService: string | undefined): string | undefined {
  return mode === "full" ? databaseService : undefined;
}

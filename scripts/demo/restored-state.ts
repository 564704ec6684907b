// "The stack is v1 again, with the backup's data": what the demo reads off the host after the
// rollback (I/O), and the comparison with what was recorded at backup time (pure).
import { isDeepStrictEqual } from "node:util";
import type Docker from "dockerode";
import { listProjectContainers } from "../../agent/src/host/compose.ts";
import { snapshotDatabase, snapshotFiles, type TableSnapshot } from "../../test/integration/rollback-fixture.ts";
import { git } from "./project.ts";

export interface HostState {
  commit: string;
  /** service → image id and health */
  services: Record<string, { imageId: string; health: string; state: string }>;
  tables: TableSnapshot;
  files: Record<string, string>;
  backendVersion: string;
}

export async function readHostState(
  docker: Docker,
  where: { project: string; projectDir: string; databaseUrl: string; minioDir: string; backendUrl: string },
): Promise<HostState> {
  const containers = await listProjectContainers(docker, where.project);
  const services = Object.fromEntries(containers.map((c) => [c.service, { imageId: c.imageId, health: c.health, state: c.state }]));
  const version = await fetch(`${where.backendUrl}/version`).then(
    async (response) => (await response.text()).trim(),
    (error: unknown) => `unreachable (${error instanceof Error ? error.message : String(error)})`,
  );
  return {
    commit: await git(where.projectDir, "rev-parse", "HEAD"),
    services,
    tables: await snapshotDatabase(where.databaseUrl),
    files: await snapshotFiles(where.minioDir),
    backendVersion: version,
  };
}

export interface Expected {
  commit: string;
  /** service → the image id recorded in the backup manifest */
  images: Record<string, string>;
  tables: TableSnapshot;
  files: Record<string, string>;
  backendVersion: string;
}

/** Every way the host differs from the backup; empty when it is fully back. */
export function differences(expected: Expected, actual: HostState): string[] {
  const found: string[] = [];
  if (actual.commit !== expected.commit) found.push(`git HEAD is ${actual.commit.slice(0, 12)}, the backup's commit is ${expected.commit.slice(0, 12)}`);
  for (const [service, imageId] of Object.entries(expected.images)) {
    const running = actual.services[service];
    if (running === undefined) found.push(`${service}: no container`);
    else {
      if (running.imageId !== imageId) found.push(`${service}: runs ${running.imageId.slice(7, 19)}, the backup recorded ${imageId.slice(7, 19)}`);
      if (running.state !== "running" || running.health !== "healthy") found.push(`${service}: ${running.state}, ${running.health}`);
    }
  }
  for (const key of new Set([...Object.keys(expected.tables), ...Object.keys(actual.tables)])) {
    if (!isDeepStrictEqual(expected.tables[key], actual.tables[key])) found.push(`database ${key} differs from the backup`);
  }
  for (const key of new Set([...Object.keys(expected.files), ...Object.keys(actual.files)])) {
    if (expected.files[key] !== actual.files[key]) found.push(`MinIO file ${key} differs from the backup`);
  }
  if (actual.backendVersion !== expected.backendVersion) found.push(`backend /version answers ${actual.backendVersion}, expected ${expected.backendVersion}`);
  return found;
}

/** One line saying what was checked, for the timeline. */
export function summarize(expected: Expected): string {
  const rows = Object.entries(expected.tables)
    .flatMap(([key, value]) => (key.startsWith("table:") && Array.isArray(value) ? [`${key.slice("table:".length)} ${value.length}`] : []))
    .join(", ");
  return `commit ${expected.commit.slice(0, 12)}, ${Object.keys(expected.images).length} services on their backup images and healthy, rows (${rows}) and sequences equal, ${Object.keys(expected.files).length} MinIO files equal`;
}

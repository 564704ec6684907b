// "The stack is v1 again (images and compose configuration), with the backup's data": what the demo
// reads off the host after the rollback (I/O), and the comparison with what was recorded at backup time (pure).
import { isDeepStrictEqual } from "node:util";
import type Docker from "dockerode";
import { listProjectContainers } from "../../agent/src/host/compose.ts";
import { snapshotDatabase, snapshotFiles, type TableSnapshot } from "../../test/integration/rollback-fixture.ts";
import { RELEASE_ENV } from "../../infra/demo-stack/compose-file.ts";
import { git } from "./project.ts";

export interface HostState {
  commit: string;
  /** service → image id, health, and the release its compose configuration names (SCHEDGEN_RELEASE) */
  services: Record<string, { imageId: string; health: string; state: string; release?: string }>;
  tables: TableSnapshot;
  files: Record<string, string>;
  backendVersion: string;
}

export async function readHostState(
  docker: Docker,
  where: { project: string; projectDir: string; databaseUrl: string; minioDir: string; backendUrl: string },
): Promise<HostState> {
  const containers = await listProjectContainers(docker, where.project);
  const releaseOf = async (id: string): Promise<string | undefined> => {
    const env = (await docker.getContainer(id).inspect()).Config.Env ?? [];
    return env.find((entry) => entry.startsWith(`${RELEASE_ENV}=`))?.slice(RELEASE_ENV.length + 1);
  };
  const services = Object.fromEntries(
    await Promise.all(
      containers.map(async (c) => {
        const release = await releaseOf(c.id);
        return [c.service, { imageId: c.imageId, health: c.health, state: c.state, ...(release === undefined ? {} : { release }) }] as const;
      }),
    ),
  );
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
  /** service → SCHEDGEN_RELEASE its container ran with at backup time (app services only) */
  releases: Record<string, string>;
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
  for (const [service, release] of Object.entries(expected.releases)) {
    const running = actual.services[service]?.release;
    if (running !== release) found.push(`${service}: runs with ${RELEASE_ENV}=${running ?? "(unset)"}, the backup's configuration had ${release}`);
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
  return `commit ${expected.commit.slice(0, 12)}, ${Object.keys(expected.images).length} services on their backup images and configuration (${RELEASE_ENV}) and healthy, rows (${rows}) and sequences equal, ${Object.keys(expected.files).length} MinIO files equal`;
}

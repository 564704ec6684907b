// The Docker engine as a test fixture: one reachable engine, the labels that mark every object a
// test run creates, and cleanup that only ever touches objects of one run (or stale ones), because
// several engineers' runs share the same engine concurrently.
import { randomBytes } from "node:crypto";
import Docker from "dockerode";
import { RUN_LABEL } from "../../infra/demo-stack/labels.ts";
import { RewindError } from "../../shared/errors.ts";

export { type HealthStatus, healthOf, waitForHealth } from "../../infra/demo-stack/health.ts";
export { RUN_LABEL, TEST_LABEL, testLabels } from "../../infra/demo-stack/labels.ts";

/** A short unique suffix for names (lowercase, valid in container, volume and compose project names). */
export function newRunId(): string {
  return `${Date.now().toString(36)}${randomBytes(3).toString("hex")}`;
}

export async function requireDocker(): Promise<Docker> {
  const docker = new Docker();
  try {
    await docker.ping();
  } catch (error) {
    throw new RewindError(
      "UNAVAILABLE",
      `Docker engine not reachable (${(error as Error).message}): apt-get install -y docker.io, then start dockerd (bash scripts/setup.sh does both)`,
      { cause: error },
    );
  }
  return docker;
}

/** Docker answers 404 when an object is already gone; cleanup treats that as done. */
function isGone(error: unknown): boolean {
  return (error as { statusCode?: number }).statusCode === 404;
}

async function removeIgnoringGone(remove: () => Promise<unknown>): Promise<void> {
  try {
    await remove();
  } catch (error) {
    if (!isGone(error)) throw error;
  }
}

/** Removes the containers, then volumes and networks (freed by the containers), then images of one run. */
export async function removeLabelled(docker: Docker, runId: string): Promise<void> {
  const filters = JSON.stringify({ label: [`${RUN_LABEL}=${runId}`] });
  const containers = await docker.listContainers({ all: true, filters });
  await Promise.all(containers.map((c) => removeIgnoringGone(() => docker.getContainer(c.Id).remove({ force: true, v: true }))));
  const { Volumes: volumes } = await docker.listVolumes({ filters });
  await Promise.all((volumes ?? []).map((v) => removeIgnoringGone(() => docker.getVolume(v.Name).remove())));
  const networks = await docker.listNetworks({ filters });
  await Promise.all(networks.map((n) => removeIgnoringGone(() => docker.getNetwork(n.Id).remove())));
  const images = await docker.listImages({ filters });
  await Promise.all(images.map((i) => removeIgnoringGone(() => docker.getImage(i.Id).remove({ force: true }))));
}

/**
 * Removes run-labelled objects older than `olderThanMs`: leftovers of killed runs. Fresh objects
 * are never touched (other runs are concurrent), nor the shared demo images (they carry no run label).
 */
export async function removeStale(docker: Docker, olderThanMs: number): Promise<number> {
  const cutoff = Date.now() - olderThanMs;
  const filters = JSON.stringify({ label: [RUN_LABEL] });
  const old = (created: number | string | undefined) => created !== undefined && (typeof created === "number" ? created * 1000 : Date.parse(created)) < cutoff;
  let removed = 0;
  const count = async (remove: () => Promise<unknown>) => {
    await removeIgnoringGone(remove);
    removed++;
  };
  for (const c of await docker.listContainers({ all: true, filters })) {
    if (old(c.Created)) await count(() => docker.getContainer(c.Id).remove({ force: true, v: true }));
  }
  for (const n of await docker.listNetworks({ filters })) {
    if (old(n.Created)) await count(() => docker.getNetwork(n.Id).remove());
  }
  const { Volumes: volumes } = await docker.listVolumes({ filters });
  for (const v of volumes ?? []) {
    // The API reports CreatedAt for volumes; the dockerode types omit it.
    if (old((v as { CreatedAt?: string }).CreatedAt)) await count(() => docker.getVolume(v.Name).remove());
  }
  for (const i of await docker.listImages({ filters })) {
    if (old(i.Created)) await count(() => docker.getImage(i.Id).remove({ force: true }));
  }
  return removed;
}

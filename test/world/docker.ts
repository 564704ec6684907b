// The Docker engine as a test fixture: one reachable engine, the labels that mark every object a
// test run creates, and cleanup that only ever touches objects of one run (or stale ones), because
// several engineers' runs share the same engine concurrently.
import { randomBytes } from "node:crypto";
import Docker from "dockerode";
import { RewindError } from "../../shared/errors.ts";

export const TEST_LABEL = "rewind.test";
export const RUN_LABEL = "rewind.test.run";

/** A short unique suffix for names (lowercase, valid in container, volume and compose project names). */
export function newRunId(): string {
  return `${Date.now().toString(36)}${randomBytes(3).toString("hex")}`;
}

export function testLabels(runId: string): Record<string, string> {
  return { [TEST_LABEL]: "1", [RUN_LABEL]: runId };
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
  await Promise.all(
    containers.map((c) => removeIgnoringGone(() => docker.getContainer(c.Id).remove({ force: true, v: true }))),
  );
  const { Volumes: volumes } = await docker.listVolumes({ filters });
  await Promise.all((volumes ?? []).map((v) => removeIgnoringGone(() => docker.getVolume(v.Name).remove())));
  const networks = await docker.listNetworks({ filters });
  await Promise.all(networks.map((n) => removeIgnoringGone(() => docker.getNetwork(n.Id).remove())));
  const images = await docker.listImages({ filters });
  await Promise.all(images.map((i) => removeIgnoringGone(() => docker.getImage(i.Id).remove({ force: true }))));
}

export type HealthStatus = "starting" | "healthy" | "unhealthy" | "none";

export async function healthOf(docker: Docker, containerId: string): Promise<HealthStatus> {
  const info = await docker.getContainer(containerId).inspect();
  const status = info.State.Health?.Status;
  return status === "starting" || status === "healthy" || status === "unhealthy" ? status : "none";
}

/** Polls the container's Docker health status until it equals `want`; fails with the last status seen. */
export async function waitForHealth(
  docker: Docker,
  containerId: string,
  want: Exclude<HealthStatus, "none">,
  timeoutMs = 30_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: HealthStatus = "none";
  while (Date.now() < deadline) {
    last = await healthOf(docker, containerId);
    if (last === want) return;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new RewindError(
    "UNAVAILABLE",
    `container ${containerId.slice(0, 12)} did not become ${want} within ${timeoutMs} ms (last: ${last})`,
  );
}

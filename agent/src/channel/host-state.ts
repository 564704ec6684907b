// Reads the host's current state for precondition checks and `state` reports: the git HEAD of the
// project checkout and, per compose service, the image id of its container (running or not, so a
// crashed service still counts as the image the decision was made on).
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import type Docker from "dockerode";
import { RewindError } from "../../../shared/errors.ts";
import type { HostState } from "./preconditions.ts";

const run = promisify(execFile);

export async function gitHead(dir: string): Promise<string | undefined> {
  try {
    const { stdout } = await run("git", ["-C", dir, "rev-parse", "HEAD"], { timeout: 10_000 });
    return stdout.trim();
  } catch (error) {
    // Not a checkout (or no commit yet): the commit is unknown, which fails any commit precondition.
    if ((error as { code?: unknown }).code === 128) return undefined;
    throw new RewindError("UNAVAILABLE", `cannot read git HEAD of ${dir}: ${(error as Error).message}`, { cause: error });
  }
}

export async function composeImages(docker: Docker, project: string): Promise<Record<string, string>> {
  const containers = await docker.listContainers({
    all: true,
    filters: { label: [`com.docker.compose.project=${project}`] },
  });
  const images: Record<string, string> = {};
  for (const container of containers) {
    const service = container.Labels["com.docker.compose.service"];
    if (service === undefined) continue;
    // With replicas, a running container speaks for the service over an exited one.
    if (images[service] === undefined || container.State === "running") images[service] = container.ImageID;
  }
  return images;
}

export function hostStateProvider(docker: Docker, project: { name: string; dir: string }): () => Promise<HostState> {
  return async () => {
    const [commit, images] = await Promise.all([gitHead(project.dir), composeImages(docker, project.name)]);
    return commit === undefined ? { images } : { commit, images };
  };
}

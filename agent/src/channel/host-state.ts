// Reads the host's current state for precondition checks and `state` reports: the git HEAD of the
// project checkout and, per compose service, the image id of its container (running or not, so a
// crashed service still counts as the image the decision was made on). A checkout without a commit
// has no commit, which fails any commit precondition.
import type Docker from "dockerode";
import { listProjectContainers } from "../host/compose.ts";
import { gitCommitIfAny } from "../host/git.ts";
import type { HostState } from "./preconditions.ts";

export async function composeImages(docker: Docker, project: string): Promise<Record<string, string>> {
  const images: Record<string, string> = {};
  for (const container of await listProjectContainers(docker, project)) {
    // With replicas, a running container speaks for the service over an exited one.
    if (images[container.service] === undefined || container.state === "running") images[container.service] = container.imageId;
  }
  return images;
}

export function hostStateProvider(docker: Docker, project: { name: string; dir: string }): () => Promise<HostState> {
  return async () => {
    const [commit, images] = await Promise.all([gitCommitIfAny(project.dir), composeImages(docker, project.name)]);
    return commit === undefined ? { images } : { commit, images };
  };
}

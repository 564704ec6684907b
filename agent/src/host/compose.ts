// The compose project as Docker sees it: containers found by the `com.docker.compose.project`
// label, with the facts the engine and the backup need (service, image id, state, health).
import type Docker from "dockerode";

export const projectLabel = "com.docker.compose.project";
export const serviceLabel = "com.docker.compose.service";

export type ContainerHealth = "healthy" | "unhealthy" | "starting" | "none";

export interface ProjectContainer {
  id: string;
  name: string;
  service: string;
  /** The image the container runs, as `sha256:…`. */
  imageId: string;
  /** The reference the container was created from (e.g. app/backend:1.4). */
  imageRef: string;
  /** Docker's state: running, exited, created, … */
  state: string;
  health: ContainerHealth;
  /** An exited container's exit code. */
  exitCode?: number;
}

function healthOf(status: string): ContainerHealth {
  // `docker ps` puts the health in the status text, e.g. "Up 3 seconds (healthy)"; "health: starting"
  // is how the engine spells the grace period before the first check.
  if (status.includes("(healthy)")) return "healthy";
  if (status.includes("(unhealthy)")) return "unhealthy";
  if (status.includes("health: starting")) return "starting";
  return "none";
}

/** `docker ps` says how an exited container ended in its status text, e.g. "Exited (0) 3 seconds ago". */
function exitCodeOf(state: string, status: string): { exitCode?: number } {
  const code = state === "exited" ? /^Exited \((-?\d+)\)/.exec(status)?.[1] : undefined;
  return code === undefined ? {} : { exitCode: Number(code) };
}

/** Every container (running or not) of the compose project, sorted by service then name. */
export async function listProjectContainers(docker: Docker, project: string): Promise<ProjectContainer[]> {
  const infos = await docker.listContainers({ all: true, filters: { label: [`${projectLabel}=${project}`] } });
  return infos
    .map((info) => ({
      id: info.Id,
      name: (info.Names[0] ?? info.Id).replace(/^\//, ""),
      service: info.Labels[serviceLabel] ?? (info.Names[0] ?? info.Id).replace(/^\//, ""),
      imageId: info.ImageID,
      imageRef: info.Image,
      state: info.State,
      health: healthOf(info.Status),
      ...exitCodeOf(info.State, info.Status),
    }))
    .sort((a, b) => a.service.localeCompare(b.service) || a.name.localeCompare(b.name));
}

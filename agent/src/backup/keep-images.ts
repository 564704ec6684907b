// Tags every service's image `rewind-keep/<project>/<service>:<TS>` so `docker image prune` keeps
// what a rollback to this backup will start, and untags them when retention drops the backup.
import type Docker from "dockerode";
import type { ServiceImage } from "../../../shared/schemas/manifest.ts";

const keepRepository = "rewind-keep";

/** Docker repository components allow only [a-z0-9] separated by '.', '_' or '-'. */
function component(name: string): string {
  const cleaned = name
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, "-")
    .replace(/^[._-]+|[._-]+$/g, "");
  return cleaned === "" ? "unnamed" : cleaned;
}

/**
 * The project is in the name (not only the service) because two compose projects on one host
 * often share service names like `backend`, and one backup's tag must not move another's.
 */
export function keepTag(project: string, service: string, timestamp: string): string {
  return `${projectKeepPrefix(project)}${component(service)}:${timestamp}`;
}

/** What every keep tag of `project` starts with (its services' repositories follow). */
export function projectKeepPrefix(project: string): string {
  return `${keepRepository}/${component(project)}/`;
}

export function splitTag(tag: string): { repo: string; tag: string } {
  const colon = tag.lastIndexOf(":");
  return { repo: tag.slice(0, colon), tag: tag.slice(colon + 1) };
}

export async function tagImages(docker: Docker, services: readonly ServiceImage[]): Promise<void> {
  for (const service of services) {
    if (service.keepTag === undefined) continue;
    await docker.getImage(service.imageId).tag(splitTag(service.keepTag));
  }
}

/**
 * Removes the tag; Docker deletes the image itself only when no other tag references it. A tag
 * already gone counts as removed; an image a container still uses keeps its tag (Docker refuses
 * with 409) and is returned in `inUse`, so the caller can say why it is still there.
 */
export async function untagImages(docker: Docker, tags: readonly string[]): Promise<{ removed: string[]; inUse: string[] }> {
  const removed: string[] = [];
  const inUse: string[] = [];
  for (const tag of tags) {
    try {
      await docker.getImage(tag).remove();
      removed.push(tag);
    } catch (error) {
      const status = (error as { statusCode?: number }).statusCode;
      if (status === 404) removed.push(tag);
      else if (status === 409) inUse.push(tag);
      else throw error;
    }
  }
  return { removed, inUse };
}

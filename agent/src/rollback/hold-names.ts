// Which tags a rollback holds the pre-rollback release's images by, and whose a held tag is. The start
// step moves a release's tags to the backup's images; without a tag of its own, the bad release's
// image is then dangling and a `docker image prune` would leave the undo nothing to start. Pure; the
// I/O is in hold-images.ts.
import { keepTag, projectKeepPrefix } from "../backup/keep-images.ts";
import { shortId } from "./names.ts";

export interface ImageHold {
  tag: string;
  imageId: string;
}

const holdPrefix = "before-";

/**
 * One tag per distinct image of each service: `rewind-keep/<project>/<service>:before-<short id>`,
 * then `-2`, `-3`… for a service whose containers ran different images (a deploy caught halfway).
 */
export function holdsFor(project: string, rollbackId: string, containers: readonly { service: string; imageId: string }[]): ImageHold[] {
  const holds: ImageHold[] = [];
  const perService = new Map<string, string[]>();
  for (const { service, imageId } of containers) {
    const seen = perService.get(service) ?? [];
    if (seen.includes(imageId)) continue;
    seen.push(imageId);
    perService.set(service, seen);
    const suffix = seen.length === 1 ? "" : `-${seen.length}`;
    holds.push({ tag: keepTag(project, service, `${holdPrefix}${shortId(rollbackId)}${suffix}`), imageId });
  }
  return holds;
}

const escapeRegExp = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** The short rollback id of a tag `holdsFor` made for `project`; undefined for any other tag (backup keep tags included). */
export function heldTagShortId(tag: string, project: string): string | undefined {
  const pattern = new RegExp(`^${escapeRegExp(projectKeepPrefix(project))}[a-z0-9._-]+:${holdPrefix}([a-z0-9]{1,16})(?:-[0-9]+)?$`);
  return pattern.exec(tag)?.[1];
}

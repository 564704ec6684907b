// Holding the pre-rollback release's images by tags of their own (hold-names.ts) from before anything
// moves their tags until the rollback can no longer be undone, and releasing those holds with the
// other set-aside copies (retention.ts): past the minimum age, beyond the newest `setAside` rollbacks,
// never the current rollback's. Releasing removes only the tag; Docker deletes the image only when
// nothing else names it, and refuses while a container uses it (reported, kept).
import type Docker from "dockerode";
import { splitTag, untagImages } from "../backup/keep-images.ts";
import type { AgentConfig } from "../config.ts";
import { heldTagShortId, holdsFor } from "./hold-names.ts";
import { datedRollbacks, setAsideRules } from "./prune-set-aside.ts";
import { planSetAsidePrune, type SetAsideCopy } from "./retention.ts";

/** Tag every image the containers run (idempotent: a resumed run tags the same images the same way). Returns the tags. */
export async function holdImages(
  docker: Docker,
  project: string,
  rollbackId: string,
  containers: readonly { service: string; imageId: string }[],
): Promise<string[]> {
  const holds = holdsFor(project, rollbackId, containers);
  for (const { tag, imageId } of holds) await docker.getImage(imageId).tag(splitTag(tag));
  return holds.map((h) => h.tag);
}

/** The tags holding images for `project`'s rollbacks. */
export async function heldTags(docker: Docker, project: string): Promise<SetAsideCopy[]> {
  const images = await docker.listImages();
  return images.flatMap((image) =>
    (image.RepoTags ?? []).flatMap((tag) => {
      const id = heldTagShortId(tag, project);
      return id === undefined ? [] : [{ kind: "image" as const, location: tag, shortId: id }];
    }),
  );
}

export interface ReleasedHolds {
  released: string[];
  /** Holds whose image a container still uses: kept, released by a later run. */
  inUse: string[];
}

export async function releaseHeldImages(config: AgentConfig, docker: Docker, currentId: string): Promise<ReleasedHolds> {
  const release = planSetAsidePrune(await heldTags(docker, config.project.name), await datedRollbacks(config.stateDir), setAsideRules(config, currentId));
  const { removed, inUse } = await untagImages(
    docker,
    release.map((copy) => copy.location),
  );
  return { released: removed, inUse };
}

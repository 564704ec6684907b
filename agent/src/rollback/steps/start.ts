// Step 8: recreate the stopped containers with the images recorded at backup time, infrastructure
// first. An image that is gone is rebuilt from the reverted commit when it has the service's Dockerfile.
import type Docker from "dockerode";
import type { ContainerSpec } from "../../host/docker-start.ts";
import { hasBuildContext, imageIdOf, rebuildImage, recreateContainer } from "../../host/docker-start.ts";
import type { RollbackTarget } from "../loaded-backup.ts";
import { startOrder } from "../order.ts";
import type { StepContext, StepOutput } from "../step-context.ts";
import { documentedOf, stoppedOf, targetOfRun } from "../step-context.ts";

export interface ChosenImage {
  id: string;
  /** Names the image goes by (keep tag, rebuild tag), preferred over its id in `docker ps`. */
  refs: string[];
}

async function imageFor(ctx: StepContext, spec: ContainerSpec, target: RollbackTarget): Promise<ChosenImage> {
  const wanted = target.images[spec.service];
  const projectDir = ctx.config.project.dir;
  if (!wanted) {
    // The seed's file records no images: like its `docker compose up --build`, build what the reverted
    // commit has a Dockerfile for; a service without one keeps the image it ran.
    if (!(await hasBuildContext(projectDir, spec.service))) return { id: spec.imageId, refs: [] };
    ctx.progress(`no image recorded for ${spec.service}; building it from commit ${target.commit.slice(0, 12)}`);
  } else if (await imageIdOf(ctx.docker, wanted.imageId)) {
    return { id: wanted.imageId, refs: [wanted.keepTag, wanted.imageRef].filter((r): r is string => r !== undefined) };
  } else {
    ctx.progress(`image ${wanted.imageId.slice(7, 19)} for ${spec.service} is gone; rebuilding from commit ${target.commit.slice(0, 12)}`);
  }
  const tag = `rewind-rebuild/${ctx.config.project.name}-${spec.service}:${target.commit.slice(0, 12)}`;
  return { id: await rebuildImage(ctx.docker, projectDir, spec.service, tag), refs: [tag] };
}

export async function startContainers(
  docker: Docker,
  specs: readonly ContainerSpec[],
  infraServices: readonly string[],
  imageOf: (spec: ContainerSpec) => Promise<ChosenImage>,
  progress: (message: string) => void,
): Promise<Record<string, string>> {
  const images: Record<string, string> = {};
  for (const spec of startOrder(specs, infraServices)) {
    const image = await imageOf(spec);
    await recreateContainer(docker, spec, image.id, image.refs);
    images[spec.service] = image.id;
    progress(`started ${spec.name} (${spec.service}) from ${image.refs[0] ?? image.id.slice(7, 19)}`);
  }
  return images;
}

export async function start(ctx: StepContext): Promise<StepOutput> {
  const documented = documentedOf(ctx);
  const target = targetOfRun(ctx);
  const stopped = new Set(stoppedOf(ctx));
  const specs = documented.containers.filter((spec) => stopped.has(spec.name));
  const images = await startContainers(
    ctx.docker,
    specs,
    ctx.config.project.infraServices,
    (spec) => imageFor(ctx, spec, target),
    (message) => ctx.progress(message),
  );
  return { images };
}

// Step 8: recreate the stopped containers with the images recorded at backup time, infrastructure
// first. An image that is gone is rebuilt from the reverted commit when it has the service's Dockerfile.
import type Docker from "dockerode";
import type { ContainerSpec } from "../../host/docker-start.ts";
import { imageIdOf, rebuildImage, recreateContainer } from "../../host/docker-start.ts";
import type { RollbackTarget } from "../loaded-backup.ts";
import { startOrder } from "../order.ts";
import type { StepContext, StepOutput } from "../step-context.ts";
import { documentedOf, stoppedOf, targetOfRun } from "../step-context.ts";

async function imageFor(ctx: StepContext, spec: ContainerSpec, target: RollbackTarget): Promise<string> {
  const wanted = target.images[spec.service];
  // The seed's file records no images: the service keeps the image it ran (the code revert is what changes).
  if (!wanted) return spec.imageId;
  if (await imageIdOf(ctx.docker, wanted.imageId)) return wanted.imageId;
  ctx.progress(`image ${wanted.imageId.slice(7, 19)} for ${spec.service} is gone; rebuilding from commit ${target.commit.slice(0, 12)}`);
  const tag = `rewind-rebuild/${ctx.config.project.name}-${spec.service}:${target.commit.slice(0, 12)}`;
  return rebuildImage(ctx.docker, ctx.config.project.dir, spec.service, tag);
}

export async function startContainers(
  docker: Docker,
  specs: readonly ContainerSpec[],
  infraServices: readonly string[],
  imageOf: (spec: ContainerSpec) => Promise<string>,
  progress: (message: string) => void,
  keepTagOf: (spec: ContainerSpec) => string | undefined = () => undefined,
): Promise<Record<string, string>> {
  const images: Record<string, string> = {};
  for (const spec of startOrder(specs, infraServices)) {
    const image = await imageOf(spec);
    await recreateContainer(docker, spec, image, keepTagOf(spec));
    images[spec.service] = image;
    progress(`started ${spec.name} (${spec.service}) from ${image.slice(7, 19)}`);
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
    (spec) => target.images[spec.service]?.keepTag,
  );
  return { images };
}

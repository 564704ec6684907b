// Step 8: bring the backup's release up. With the container configuration the backup recorded:
// exactly those containers (env, command, ports, volumes, labels, health check) with those images,
// one-shot jobs that had exited created but not run; the bad release's other containers retired.
// Without it, the seed's way: Compose from the reverted checkout. A checkout without a compose file
// gets the documented containers back with the recorded images (rebuilt from `<service>/Dockerfile`).
import { usesCompose } from "../../host/compose-files.ts";
import type { ContainerSpec } from "../../host/docker-start.ts";
import { hasBuildContext, imageIdOf, rebuildImage } from "../../host/docker-start.ts";
import { ensureNetworks, type NetworkSpec } from "../../host/networks.ts";
import { toSpec } from "../../backup/container-config.ts";
import { composeBuild, startWithCompose } from "../compose-start.ts";
import type { RollbackTarget } from "../loaded-backup.ts";
import type { ChosenImage, RestoreEnv } from "../restore-containers.ts";
import { outside, restoreContainers, retire, runningServices } from "../restore-containers.ts";
import type { StepContext, StepOutput } from "../step-context.ts";
import { documentedOf, stoppedOf, targetOfRun } from "../step-context.ts";

const commitOf = (target: RollbackTarget): string => target.commit.slice(0, 12);

/**
 * A recorded container's image: the one the manifest (the signed record) names for its service, the
 * same as recorded with the container in any backup Rewind took. Gone, it is built from the reverted
 * checkout's compose file.
 */
async function recordedImage(ctx: StepContext, spec: ContainerSpec, target: RollbackTarget): Promise<ChosenImage> {
  const wanted = target.images[spec.service];
  const id = wanted?.imageId ?? spec.imageId;
  if (await imageIdOf(ctx.docker, id)) return { id, refs: wanted?.keepTag ? [wanted.keepTag] : [] };
  ctx.progress(`image ${id.slice(7, 19)} for ${spec.service} is gone; building it from commit ${commitOf(target)}`);
  if (await usesCompose(ctx.config.project)) {
    await composeBuild(ctx, [spec.service]);
    const built = await imageIdOf(ctx.docker, spec.imageRef);
    if (built) return { id: built, refs: [spec.imageRef] };
  }
  return rebuiltImage(ctx, spec, target);
}

async function rebuiltImage(ctx: StepContext, spec: ContainerSpec, target: RollbackTarget): Promise<ChosenImage> {
  const tag = `rewind-rebuild/${ctx.config.project.name}-${spec.service}:${commitOf(target)}`;
  return { id: await rebuildImage(ctx.docker, ctx.config.project.dir, spec.service, tag), refs: [tag] };
}

/** No compose file in the checkout: the documented containers with the recorded (or rebuilt) images. */
async function documentedImage(ctx: StepContext, spec: ContainerSpec, target: RollbackTarget): Promise<ChosenImage> {
  const wanted = target.images[spec.service];
  if (!wanted) {
    if (!(await hasBuildContext(ctx.config.project.dir, spec.service))) return { id: spec.imageId, refs: [] };
    ctx.progress(`no image recorded for ${spec.service}; building it from commit ${commitOf(target)}`);
  } else if (await imageIdOf(ctx.docker, wanted.imageId)) {
    return { id: wanted.imageId, refs: [wanted.keepTag, wanted.imageRef].filter((r): r is string => r !== undefined) };
  } else {
    ctx.progress(`image ${wanted.imageId.slice(7, 19)} for ${spec.service} is gone; rebuilding from commit ${commitOf(target)}`);
  }
  return rebuiltImage(ctx, spec, target);
}

export function restoreEnv(ctx: StepContext): RestoreEnv {
  return {
    docker: ctx.docker,
    infraServices: ctx.config.project.infraServices,
    stopTimeoutSeconds: ctx.config.thresholds.stopTimeoutSeconds,
    progress: (message) => ctx.progress(message),
  };
}

export async function start(ctx: StepContext): Promise<StepOutput> {
  const documented = documentedOf(ctx).containers;
  const target = targetOfRun(ctx);
  const env = restoreEnv(ctx);
  if (target.containers) {
    const recorded = target.containers.map(toSpec);
    const retired = outside(documented, recorded).map((spec) => spec.name);
    await retire(env, retired);
    const networks = await ensureNetworks(ctx.docker, (target.networks ?? []) as NetworkSpec[]);
    if (networks.length > 0) ctx.progress(`networks created again: ${networks.join(", ")}`);
    const images = await restoreContainers(env, recorded, (spec) => recordedImage(ctx, spec, target));
    return { images, services: runningServices(recorded), retired };
  }
  if (await usesCompose(ctx.config.project)) return startWithCompose(ctx, env, documented, target);
  const stopped = new Set(stoppedOf(ctx));
  const specs = documented.filter((spec) => stopped.has(spec.name));
  const images = await restoreContainers(env, specs, (spec) => documentedImage(ctx, spec, target));
  return { images, services: runningServices(documented), retired: [] };
}

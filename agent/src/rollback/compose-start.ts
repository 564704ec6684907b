// A backup that recorded no container configuration (the seed's own, Rewind's before it recorded
// it): start the release the way the seed does, with the host's Compose CLI from the reverted
// checkout. Images the backup recorded and the host still has get their tags back; every other
// service is built from the compose file's own build contexts; then `up -d`.
import { RewindError } from "../../../shared/errors.ts";
import { listProjectContainers, type ProjectContainer } from "../host/compose.ts";
import { commandName, requireComposeCli, runCompose } from "../host/compose-cli.ts";
import { composeRunOptions } from "../host/compose-files.ts";
import type { ContainerSpec } from "../host/docker-start.ts";
import { imageIdOf, pointTag } from "../host/docker-start.ts";
import type { RollbackTarget } from "./loaded-backup.ts";
import type { RestoreEnv } from "./restore-containers.ts";
import { retire } from "./restore-containers.ts";
import type { StepContext, StepOutput } from "./step-context.ts";

/** Bounds on each Compose run of the start step (also in its bound: step-bounds.ts). */
export const composeTimeoutsMs = { config: 60_000, build: 30 * 60_000, up: 10 * 60_000 };

/** Build the services the compose file builds (the checkout must be at the reverted commit). */
export async function composeBuild(ctx: StepContext, services: readonly string[]): Promise<void> {
  const cli = await requireComposeCli();
  const options = await composeRunOptions(ctx.config.project, composeTimeoutsMs.build);
  ctx.progress(`building ${services.join(", ")} with ${commandName(cli)} build (Compose ${cli.version}) in ${options.projectDir}`);
  await runCompose(cli, options, ["build", ...services]);
}

/** Restart policies under which a container that exited 0 stays exited: the job is done, not down. */
const finishingPolicies = new Set(["", "no", "on-failure"]);

/**
 * The services whose containers Compose just created with a restart policy that lets a clean exit
 * stand (the compose file's `restart: "no"`, its default, or `on-failure`): one-shot jobs once they
 * exit 0, as a recorded configuration's exited jobs are; a service that exists only in the restored
 * release has no recorded state to tell.
 */
async function oneShotServices(ctx: StepContext, containers: readonly ProjectContainer[]): Promise<string[]> {
  const found = new Set<string>();
  for (const container of containers) {
    const info = await ctx.docker.getContainer(container.id).inspect();
    if (finishingPolicies.has(info.HostConfig.RestartPolicy?.Name ?? "")) found.add(container.service);
  }
  return [...found];
}

export async function startWithCompose(ctx: StepContext, env: RestoreEnv, documented: readonly ContainerSpec[], target: RollbackTarget): Promise<StepOutput> {
  const cli = await requireComposeCli();
  const { dir, name } = ctx.config.project;
  const listed = await runCompose(cli, await composeRunOptions(ctx.config.project, composeTimeoutsMs.config), ["config", "--services"]);
  const services = listed.stdout
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line !== "");
  if (services.length === 0) throw new RewindError("STEP_FAILED", `Compose finds no services in ${dir} at commit ${target.commit.slice(0, 12)}`);
  const toBuild: string[] = [];
  for (const service of services) {
    const wanted = target.images[service];
    if (wanted?.imageRef && (await imageIdOf(ctx.docker, wanted.imageId))) {
      if (await pointTag(ctx.docker, wanted.imageRef, wanted.imageId)) ctx.progress(`tag ${wanted.imageRef} points at the backup's image again`);
    } else {
      toBuild.push(service);
    }
  }
  if (toBuild.length > 0) await composeBuild(ctx, toBuild);
  ctx.progress(`${commandName(cli)} up -d at commit ${target.commit.slice(0, 12)}`);
  await runCompose(cli, await composeRunOptions(ctx.config.project, composeTimeoutsMs.up), ["up", "-d"]);
  const retired = documented.filter((spec) => !services.includes(spec.service)).map((spec) => spec.name);
  await retire(env, retired);
  const after = (await listProjectContainers(ctx.docker, name)).filter((c) => services.includes(c.service));
  // A one-shot job the bad release had run to completion is not awaited as a running service.
  const exited = new Set(documented.filter((spec) => spec.running === false).map((spec) => spec.service));
  const expected = services.filter((s) => !exited.has(s) && after.some((c) => c.service === s));
  const mayFinish = await oneShotServices(
    ctx,
    after.filter((c) => expected.includes(c.service)),
  );
  if (mayFinish.length > 0) ctx.progress(`one-shot by their restart policy (done once exited 0): ${mayFinish.join(", ")}`);
  return { images: Object.fromEntries(after.map((c) => [c.service, c.imageId])), services: expected, mayFinish, retired };
}

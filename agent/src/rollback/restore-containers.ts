// Putting a set of captured containers back exactly: the backup's (the rollback) or the documented
// bad release's (the undo). Each is the captured container itself when still there, else recreated
// from its create spec; the tag its image was named by points back at its image, so `docker compose
// up -d` from the matching checkout finds nothing to change. Containers outside the set are retired:
// stopped and kept while the rollback may still be undone, removed once it succeeded.
import type Docker from "dockerode";
import { listProjectContainers } from "../host/compose.ts";
import type { ContainerSpec } from "../host/docker-start.ts";
import { imageIdOf, pointTag, removeContainer, restoreContainer, stopContainer } from "../host/docker-start.ts";
import { startOrder } from "./order.ts";

export interface ChosenImage {
  id: string;
  /** Names the image goes by (keep tag, rebuild tag), preferred over its id in `docker ps`. */
  refs: string[];
}

export interface RestoreEnv {
  docker: Docker;
  infraServices: readonly string[];
  stopTimeoutSeconds: number;
  progress(message: string): void;
}

/** The containers of `current` that have no place in `wanted` (matched by name). */
export function outside<T extends { name: string }>(current: readonly T[], wanted: readonly { name: string }[]): T[] {
  const names = new Set(wanted.map((w) => w.name));
  return current.filter((c) => !names.has(c.name));
}

/** Services expected running once `specs` are in place: a one-shot job that had exited is not. */
export function runningServices(specs: readonly ContainerSpec[]): string[] {
  return [...new Set(specs.filter((s) => s.running !== false).map((s) => s.service))];
}

/** Recreate `specs` (infrastructure first) with the image `imageOf` picks; returns the image per service. */
export async function restoreContainers(
  env: RestoreEnv,
  specs: readonly ContainerSpec[],
  imageOf: (spec: ContainerSpec) => Promise<ChosenImage>,
): Promise<Record<string, string>> {
  const images: Record<string, string> = {};
  for (const spec of startOrder(specs, env.infraServices)) {
    const image = await imageOf(spec);
    // Compose resolves `image:` by tag: the tag names what it named when captured (a rebuilt image
    // already carries it).
    const tagged = spec.refImageId ?? (image.id === spec.imageId ? image.id : undefined);
    if (tagged && (await imageIdOf(env.docker, tagged)) && (await pointTag(env.docker, spec.imageRef, tagged))) {
      env.progress(`tag ${spec.imageRef} points at ${tagged.slice(7, 19)} again`);
    }
    await restoreContainer(env.docker, spec, image.id, image.refs, env.stopTimeoutSeconds);
    images[spec.service] = image.id;
    const how = spec.running === false ? "created (it had exited: not run again)" : "started";
    env.progress(`${how} ${spec.name} (${spec.service}) from ${image.refs[0] ?? image.id.slice(7, 19)}`);
  }
  return images;
}

/** Stop the containers the restored set has no place for; they stay for an undo. */
export async function retire(env: RestoreEnv, names: readonly string[]): Promise<void> {
  for (const name of names) {
    env.progress(`${name} is not part of the restored release: stopped, kept until the rollback succeeds`);
    await stopContainer(env.docker, name, env.stopTimeoutSeconds);
  }
}

/** After success: the retired containers go (named volumes stay). */
export async function removeRetired(docker: Docker, names: readonly string[], stopTimeoutSeconds: number): Promise<void> {
  for (const name of names) await removeContainer(docker, name, stopTimeoutSeconds);
}

/** The undo, first: every container of the project the pre-rollback release did not have (services the rollback brought back) goes. */
export async function removeOutside(env: RestoreEnv, project: string, documented: readonly ContainerSpec[]): Promise<void> {
  for (const extra of outside(await listProjectContainers(env.docker, project), documented)) {
    env.progress(`removing ${extra.name}: the release being restored had no such container`);
    await removeContainer(env.docker, extra.name, env.stopTimeoutSeconds);
  }
}

/** The undo, last: the documented containers exactly as they were (running or exited), their image tags where they pointed. */
export async function restoreDocumented(env: RestoreEnv, documented: readonly ContainerSpec[]): Promise<number> {
  await restoreContainers(env, documented, async (spec) => ({ id: spec.imageId, refs: [] }));
  return documented.length;
}

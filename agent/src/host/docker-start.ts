// Stopping and recreating the project's containers. A container's create spec is captured from
// `inspect` before anything changes (and journaled), so it can be recreated identically with another
// image, or put back exactly as it was by the undo.
import { access } from "node:fs/promises";
import path from "node:path";
import type Docker from "dockerode";
import { create as createTar } from "tar";
import { isRewindError, RewindError } from "../../../shared/errors.ts";
import { withCarriedVolumes } from "./carry-volumes.ts";

export interface ContainerSpec {
  /** The container captured; a container still holding this id is the very same one (start it, do not recreate it). */
  id?: string;
  name: string;
  service: string;
  /** Whether it ran when captured: a one-shot job that had exited is created again but not started. */
  running?: boolean;
  /** What `imageRef` (a tag) pointed at when captured; Compose decides by it, so a restore points it back. */
  refImageId?: string;
  /** The image the container ran when captured (sha256:…). */
  imageId: string;
  imageRef: string;
  /** Body of `POST /containers/create`, rebuilt from inspect. */
  create: Docker.ContainerCreateOptions;
  /** Networks beyond the first, connected after create (API 1.41 takes one at create time). */
  extraNetworks: Record<string, Docker.EndpointSettings>;
}

function isNotFound(error: unknown): boolean {
  return (error as { statusCode?: number }).statusCode === 404;
}

export async function captureSpec(docker: Docker, containerId: string, service: string): Promise<ContainerSpec> {
  const info = await docker.getContainer(containerId).inspect();
  const shortId = info.Id.slice(0, 12);
  const { Hostname, ...config } = info.Config;
  const endpoints = Object.entries(info.NetworkSettings.Networks ?? {}).map(([network, settings]) => {
    const endpoint: Docker.EndpointSettings = {
      Aliases: (settings.Aliases ?? []).filter((alias: string) => alias !== shortId),
      ...(settings.IPAMConfig ? { IPAMConfig: settings.IPAMConfig } : {}),
    };
    return [network, endpoint] as const;
  });
  const builtIn = ["bridge", "host", "none"];
  const [first, ...rest] = endpoints.filter(([network]) => !builtIn.includes(network));
  const refImageId = info.Config.Image.startsWith("sha256:") ? undefined : await imageIdOf(docker, info.Config.Image);
  return {
    id: info.Id,
    name: info.Name.replace(/^\//, ""),
    service,
    running: info.State.Running || info.State.Restarting,
    ...(refImageId ? { refImageId } : {}),
    imageId: info.Image,
    imageRef: info.Config.Image,
    create: {
      ...config,
      // Docker defaults the hostname to the container id; only a chosen one is part of the spec.
      ...(Hostname === shortId ? {} : { Hostname }),
      HostConfig: info.HostConfig,
      ...(first ? { NetworkingConfig: { EndpointsConfig: { [first[0]]: first[1] } } } : {}),
    },
    extraNetworks: Object.fromEntries(rest),
  };
}

/** Stop one container gracefully (SIGTERM, then SIGKILL after `timeoutSeconds`); already stopped is fine. */
export async function stopContainer(docker: Docker, name: string, timeoutSeconds: number): Promise<void> {
  try {
    await docker.getContainer(name).stop({ t: timeoutSeconds });
  } catch (error) {
    const code = (error as { statusCode?: number }).statusCode;
    if (code === 304 || code === 404) return;
    if (isRewindError(error, "TIMED_OUT")) throw error;
    throw new RewindError("STEP_FAILED", `stopping container ${name} failed: ${(error as Error).message}`, { cause: error });
  }
}

export async function imageIdOf(docker: Docker, ref: string): Promise<string | undefined> {
  try {
    return (await docker.getImage(ref).inspect()).Id;
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
}

/** Prefer a human reference that still points at `imageId`, so `docker ps` stays readable. */
async function referenceFor(docker: Docker, imageId: string, candidates: readonly (string | undefined)[]): Promise<string> {
  for (const ref of candidates) {
    if (ref && !ref.startsWith("sha256:") && (await imageIdOf(docker, ref)) === imageId) return ref;
  }
  return imageId;
}

/** Whether the checkout has `<service>/Dockerfile`, the build context a rebuild uses. */
export async function hasBuildContext(projectDir: string, service: string): Promise<boolean> {
  try {
    await access(path.join(projectDir, service, "Dockerfile"));
    return true;
  } catch {
    return false;
  }
}

/**
 * Build the service's image from `<projectDir>/<service>/Dockerfile` at the reverted commit, when the
 * recorded image is gone. Returns the new image id.
 */
export async function rebuildImage(docker: Docker, projectDir: string, service: string, tag: string): Promise<string> {
  const context = path.join(projectDir, service);
  if (!(await hasBuildContext(projectDir, service))) {
    throw new RewindError(
      "STEP_FAILED",
      `the image for service '${service}' is gone and the reverted commit has no ${service}/Dockerfile to rebuild it from; restore the image (docker load) and resume`,
    );
  }
  const stream = await docker.buildImage(createTar({ cwd: context, portable: true }, ["."]) as unknown as NodeJS.ReadableStream, { t: tag });
  const output = await new Promise<Array<{ error?: string }>>((resolve, reject) =>
    docker.modem.followProgress(stream, (error: Error | null, result: Array<{ error?: string }>) => (error ? reject(error) : resolve(result))),
  );
  const failed = output.find((line) => line.error);
  if (failed) throw new RewindError("STEP_FAILED", `rebuilding '${service}' failed: ${failed.error}`);
  const id = await imageIdOf(docker, tag);
  if (!id) throw new RewindError("STEP_FAILED", `rebuilding '${service}' produced no image ${tag}`);
  return id;
}

async function inspectOrUndefined(docker: Docker, name: string): Promise<Docker.ContainerInspectInfo | undefined> {
  try {
    return await docker.getContainer(name).inspect();
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
}

/** Point a tag back at `imageId` (Compose resolves `image:` by tag and recreates when the id differs). */
export async function pointTag(docker: Docker, ref: string, imageId: string): Promise<boolean> {
  if (ref.startsWith("sha256:") || (await imageIdOf(docker, ref)) === imageId) return false;
  const at = ref.lastIndexOf(":");
  const slash = ref.lastIndexOf("/");
  const [repo, tag] = at > slash ? [ref.slice(0, at), ref.slice(at + 1)] : [ref, "latest"];
  await docker.getImage(imageId).tag({ repo, tag });
  return true;
}

/**
 * Put `spec` in place with `imageId`: the captured container itself when it is still there with that
 * image (started if it ran), otherwise whatever holds the name is removed (its anonymous volumes
 * carried over) and the container created anew from the spec, started only if it ran when captured. `refs` are extra names (keep tag, rebuild
 * tag) the image may go by. Returns the container id.
 */
export async function restoreContainer(
  docker: Docker,
  spec: ContainerSpec,
  imageId: string,
  refs: readonly string[] = [],
  stopTimeoutSeconds = 30,
): Promise<string> {
  const start = spec.running !== false;
  const current = await inspectOrUndefined(docker, spec.name);
  if (current && spec.id === current.Id && current.Image === imageId) {
    if (start && !current.State.Running) await docker.getContainer(current.Id).start();
    return current.Id;
  }
  if (current) {
    // Still running (the database service a data restore kept up): a graceful stop before it goes.
    if (current.State.Running) await stopContainer(docker, current.Id, stopTimeoutSeconds);
    await docker.getContainer(current.Id).remove({ force: true });
  }
  const image = await referenceFor(docker, imageId, [...refs, spec.imageRef]);
  const create = withCarriedVolumes(spec.create, current?.Mounts ?? []);
  const container = await docker.createContainer({ ...create, name: spec.name, Image: image });
  for (const [network, endpoint] of Object.entries(spec.extraNetworks)) {
    await docker.getNetwork(network).connect({ Container: container.id, EndpointConfig: endpoint });
  }
  if (start) await container.start();
  return container.id;
}

/** Stop and remove a container (its named volumes stay); already gone is fine. */
export async function removeContainer(docker: Docker, name: string, timeoutSeconds: number): Promise<void> {
  await stopContainer(docker, name, timeoutSeconds);
  try {
    await docker.getContainer(name).remove();
  } catch (error) {
    if (!isNotFound(error)) throw error;
  }
}

/** A service's recent logs as text (stdout and stderr interleaved as Docker recorded them). */
export async function containerLogs(docker: Docker, name: string, tail?: number): Promise<string> {
  const raw = (await docker.getContainer(name).logs({
    follow: false,
    stdout: true,
    stderr: true,
    timestamps: true,
    ...(tail === undefined ? {} : { tail }),
  })) as unknown as Buffer;
  // Without a TTY the engine multiplexes frames: 8-byte header (stream, 0,0,0, big-endian length).
  const chunks: Buffer[] = [];
  let offset = 0;
  while (offset + 8 <= raw.length) {
    const length = raw.readUInt32BE(offset + 4);
    chunks.push(raw.subarray(offset + 8, offset + 8 + length));
    offset += 8 + length;
  }
  return offset === 0 && raw.length > 0 ? raw.toString("utf8") : Buffer.concat(chunks).toString("utf8");
}

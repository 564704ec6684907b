// Stopping and recreating the project's containers. A container's create spec is captured from
// `inspect` before anything changes (and journaled), so it can be recreated identically with another
// image, or put back exactly as it was by the undo.
import { access } from "node:fs/promises";
import path from "node:path";
import type Docker from "dockerode";
import { create as createTar } from "tar";
import { RewindError } from "../../../shared/errors.ts";

export interface ContainerSpec {
  name: string;
  service: string;
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
  return {
    name: info.Name.replace(/^\//, ""),
    service,
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

/**
 * Remove whatever container holds `spec.name`, create it anew from the spec with `imageId`, start it.
 * `refs` are extra names (keep tag, rebuild tag) the image may go by.
 */
export async function recreateContainer(docker: Docker, spec: ContainerSpec, imageId: string, refs: readonly string[] = []): Promise<string> {
  try {
    await docker.getContainer(spec.name).remove({ force: true });
  } catch (error) {
    if (!isNotFound(error)) throw error;
  }
  const image = await referenceFor(docker, imageId, [...refs, spec.imageRef]);
  const container = await docker.createContainer({ ...spec.create, name: spec.name, Image: image });
  for (const [network, endpoint] of Object.entries(spec.extraNetworks)) {
    await docker.getNetwork(network).connect({ Container: container.id, EndpointConfig: endpoint });
  }
  await container.start();
  return container.id;
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

// Runs the demo stack as a Compose project through the Docker API (there is no compose binary
// here): a network, the MinIO data volume and one container per service, all carrying Compose's
// labels, so the agent finds and recreates them exactly as on a real Compose host.
import type Docker from "dockerode";
import { RewindError } from "../../shared/errors.ts";
import { freePort } from "./free-port.ts";
import { type HealthStatus, healthOf } from "./health.ts";
import { type DemoImages, demoImageTag } from "./images.ts";
import { COMPOSE_NETWORK, COMPOSE_PROJECT, COMPOSE_SERVICE, COMPOSE_VOLUME } from "./labels.ts";
import {
  appServices,
  containerPorts,
  type DemoService,
  type DemoVersion,
  perService,
} from "./services.ts";

export type HttpService = "backend" | "frontend" | "minio";

export interface DemoContainer {
  service: DemoService;
  id: string;
  name: string;
  image: string;
}

export interface DemoStack {
  project: string;
  network: string;
  minioVolume: string;
  /** Labels every object of the stack carries besides Compose's (e.g. the test run's). */
  labels: Record<string, string>;
  /** Published on 127.0.0.1; the ports survive redeploys so URLs stay valid across a rollback. */
  urls: Record<HttpService, string>;
  containers: Record<DemoService, DemoContainer>;
}

export interface UpStackOptions {
  project: string;
  version: DemoVersion;
  labels: Record<string, string>;
  /** Docker volume for MinIO's /data; default `<project>_minio_data`, created when missing. */
  minioVolume?: string;
  /** An existing network to join; default `<project>_default`, created and owned by the stack. */
  network?: string;
  /** Images to run; default the shared `rewind-demo/<service>:<version>` tags. */
  images?: DemoImages;
}

export function containerName(project: string, service: DemoService): string {
  return `${project}-${service}-1`;
}

function statusOf(error: unknown): number | undefined {
  return (error as { statusCode?: number }).statusCode;
}

async function ensureNetwork(docker: Docker, name: string, labels: Record<string, string>): Promise<void> {
  try {
    await docker.getNetwork(name).inspect();
  } catch (error) {
    if (statusOf(error) !== 404) throw error;
    await docker.createNetwork({ Name: name, Driver: "bridge", Labels: labels });
  }
}

/** Removes a service's container if present and returns the host port it had published. */
async function removeContainer(docker: Docker, name: string, containerPort: number | undefined): Promise<number | undefined> {
  try {
    const info = await docker.getContainer(name).inspect();
    const bindings: Record<string, { HostPort?: string }[] | undefined> = info.HostConfig.PortBindings ?? {};
    await docker.getContainer(name).remove({ force: true });
    const hostPort = Number(bindings[`${containerPort}/tcp`]?.[0]?.HostPort);
    return Number.isInteger(hostPort) && hostPort > 0 ? hostPort : undefined;
  } catch (error) {
    if (statusOf(error) === 404) return undefined;
    throw error;
  }
}

interface ServiceRun {
  project: string;
  service: DemoService;
  image: string;
  labels: Record<string, string>;
  network: string;
  minioVolume: string;
  hostPort: number | undefined;
}

async function createAndStart(docker: Docker, run: ServiceRun): Promise<DemoContainer> {
  const name = containerName(run.project, run.service);
  const port = containerPorts[run.service];
  const portKey = `${port}/tcp`;
  const container = await docker.createContainer({
    name,
    Image: run.image,
    Labels: {
      ...run.labels,
      [COMPOSE_PROJECT]: run.project,
      [COMPOSE_SERVICE]: run.service,
      "com.docker.compose.container-number": "1",
      "com.docker.compose.oneoff": "False",
    },
    ExposedPorts: port === undefined ? undefined : { [portKey]: {} },
    HostConfig: {
      // busybox httpd as PID 1 ignores SIGTERM; an init process makes graceful stops quick.
      Init: true,
      NetworkMode: run.network,
      PortBindings:
        port === undefined || run.hostPort === undefined
          ? undefined
          : { [portKey]: [{ HostIp: "127.0.0.1", HostPort: String(run.hostPort) }] },
      Mounts: run.service === "minio" ? [{ Type: "volume", Source: run.minioVolume, Target: "/data" }] : undefined,
    },
    NetworkingConfig: { EndpointsConfig: { [run.network]: { Aliases: [run.service] } } },
  });
  try {
    await container.start();
  } catch (error) {
    await container.remove({ force: true });
    throw error;
  }
  return { service: run.service, id: container.id, name, image: run.image };
}

/** A probed free port can be taken before Docker binds it: retry with a fresh one. */
async function startService(docker: Docker, run: ServiceRun): Promise<DemoContainer> {
  if (containerPorts[run.service] === undefined || run.hostPort !== undefined) return createAndStart(docker, run);
  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      return await createAndStart(docker, { ...run, hostPort: await freePort() });
    } catch (error) {
      lastError = error;
      if (!String((error as Error).message).includes("already allocated")) throw error;
    }
  }
  throw new RewindError("UNAVAILABLE", `no free host port for ${run.service}`, { cause: lastError });
}

async function publishedUrl(docker: Docker, container: DemoContainer): Promise<string> {
  const port = containerPorts[container.service];
  const info = await docker.getContainer(container.id).inspect();
  const binding = info.NetworkSettings.Ports[`${port}/tcp`]?.[0];
  if (binding === undefined) {
    throw new RewindError("UNAVAILABLE", `${container.name} publishes no port for ${port}/tcp`);
  }
  return `http://127.0.0.1:${binding.HostPort}`;
}

function imageFor(images: DemoImages | undefined, service: DemoService, version: DemoVersion): string {
  return images?.[version][service].tag ?? demoImageTag(service, version);
}

/** `docker compose up -d` for the whole stack: infrastructure first, existing containers replaced. */
export async function upStack(docker: Docker, opts: UpStackOptions): Promise<DemoStack> {
  const projectLabels = { ...opts.labels, [COMPOSE_PROJECT]: opts.project };
  const network = opts.network ?? `${opts.project}_default`;
  if (opts.network === undefined) {
    await ensureNetwork(docker, network, { ...projectLabels, [COMPOSE_NETWORK]: "default" });
  }
  const minioVolume = opts.minioVolume ?? `${opts.project}_minio_data`;
  await docker.createVolume({ Name: minioVolume, Labels: { ...projectLabels, [COMPOSE_VOLUME]: "minio_data" } });

  const start = async (service: DemoService): Promise<DemoContainer> =>
    startService(docker, {
      project: opts.project,
      service,
      image: imageFor(opts.images, service, opts.version),
      labels: opts.labels,
      network,
      minioVolume,
      hostPort: await removeContainer(docker, containerName(opts.project, service), containerPorts[service]),
    });
  // Infrastructure (MinIO) first, as Compose's depends_on would order it.
  const minio = await start("minio");
  const [backend, frontend, worker] = await Promise.all([start("backend"), start("frontend"), start("pdf-worker")]);
  return {
    project: opts.project,
    network,
    minioVolume,
    labels: opts.labels,
    urls: {
      minio: await publishedUrl(docker, minio),
      backend: await publishedUrl(docker, backend),
      frontend: await publishedUrl(docker, frontend),
    },
    containers: { minio, backend, frontend, "pdf-worker": worker },
  };
}

/** A deploy: the app services recreated from `version`'s images on the same ports; infra untouched. */
export async function deployVersion(
  docker: Docker,
  stack: DemoStack,
  version: DemoVersion,
  images?: DemoImages,
): Promise<DemoStack> {
  const containers = { ...stack.containers };
  for (const service of appServices) {
    const hostPort = await removeContainer(docker, containers[service].name, containerPorts[service]);
    containers[service] = await startService(docker, {
      project: stack.project,
      service,
      image: imageFor(images, service, version),
      labels: stack.labels,
      network: stack.network,
      minioVolume: stack.minioVolume,
      hostPort,
    });
  }
  return { ...stack, containers };
}

/** `docker compose down`: the project's containers and its own network; volumes only when asked. */
export async function downStack(docker: Docker, project: string, opts: { volumes?: boolean } = {}): Promise<void> {
  const filters = JSON.stringify({ label: [`${COMPOSE_PROJECT}=${project}`] });
  const gone = (error: unknown) => {
    if (statusOf(error) !== 404) throw error;
  };
  const containers = await docker.listContainers({ all: true, filters });
  await Promise.all(containers.map((c) => docker.getContainer(c.Id).remove({ force: true }).catch(gone)));
  const networks = await docker.listNetworks({ filters });
  await Promise.all(networks.map((n) => docker.getNetwork(n.Id).remove().catch(gone)));
  if (opts.volumes) {
    const { Volumes: volumes } = await docker.listVolumes({ filters });
    await Promise.all((volumes ?? []).map((v) => docker.getVolume(v.Name).remove().catch(gone)));
  }
}

/** Waits until no service is still `starting`, then returns each service's health. */
export async function settledHealth(
  docker: Docker,
  stack: DemoStack,
  timeoutMs = 30_000,
): Promise<Record<DemoService, HealthStatus>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const health = await perService((service) => healthOf(docker, stack.containers[service].id));
    if (!Object.values(health).includes("starting")) return health;
    if (Date.now() > deadline) {
      throw new RewindError("UNAVAILABLE", `demo stack ${stack.project} still starting after ${timeoutMs} ms`);
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

export async function volumeDir(docker: Docker, volume: string): Promise<string> {
  return (await docker.getVolume(volume).inspect()).Mountpoint;
}

// Runs the demo stack with a real Compose (`docker compose` v2, or Debian's docker-compose 1.29):
// the compose file is rendered into the project directory and brought up with `up -d`; a deploy
// renders the next release into the same file and runs `up -d` again, as a deploy script would.
// Containers are found by Compose's labels, never by name (1.29 says project_service_1, v2 project-service-1).
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import type Docker from "dockerode";
import * as z from "zod";
import { type ComposeCli, requireComposeCli, runCompose } from "../../agent/src/host/compose-cli.ts";
import { listProjectContainers, projectLabel } from "../../agent/src/host/compose.ts";
import { RewindError } from "../../shared/errors.ts";
import { type DatabaseService, type HttpService, httpServices, renderDemoCompose, sharedImageTags } from "./compose-file.ts";
import { freePort } from "./free-port.ts";
import { type HealthStatus, healthOf } from "./health.ts";
import type { DemoImages } from "./images.ts";
import { type DemoService, type DemoVersion, demoServices, demoVersions, perService } from "./services.ts";

const COMPOSE_FILE = "compose.yaml";
const COMPOSE_TIMEOUT_MS = 180_000;

const serviceRecord = <T extends z.ZodType>(value: T) => z.strictObject({ minio: value, backend: value, frontend: value, "pdf-worker": value });
const httpRecord = <T extends z.ZodType>(value: T) => z.strictObject({ minio: value, backend: value, frontend: value });

const demoContainer = z.strictObject({ service: z.enum(demoServices), id: z.string(), name: z.string(), image: z.string() });
export type DemoContainer = z.output<typeof demoContainer>;

/** The running stack, also handed to deploy scripts as JSON (they run as separate processes). */
export const demoStack = z.strictObject({
  project: z.string().min(1),
  /** The project directory holding compose.yaml (a git checkout, or a temp dir the stack owns). */
  dir: z.string().min(1),
  /** Whether `downStack` removes `dir` (it was made for the stack). */
  ownsDir: z.boolean(),
  version: z.enum(demoVersions),
  /** Labels every container, the network and the volumes carry besides Compose's (the test run's). */
  labels: z.record(z.string(), z.string()),
  ports: httpRecord(z.number().int().positive()),
  images: z.strictObject({ v1: serviceRecord(z.string()), v2: serviceRecord(z.string()) }),
  buildContexts: z.boolean(),
  database: z.enum(["profile-full", "stand-in", "none"]),
  minioVolume: z.string(),
  /** Published on 127.0.0.1; the ports survive deploys and rollbacks, so URLs stay valid. */
  urls: httpRecord(z.string()),
  containers: serviceRecord(demoContainer),
});
export type DemoStack = z.output<typeof demoStack>;
type StackFile = Pick<DemoStack, "project" | "dir" | "labels" | "ports" | "images" | "buildContexts" | "database">;

export interface UpStackOptions {
  project: string;
  version: DemoVersion;
  labels: Record<string, string>;
  /** The project directory to render compose.yaml into; default a temp dir removed by `downStack`. */
  dir?: string;
  /** Images to run; default the shared `rewind-demo/<service>:<version>` tags. */
  images?: DemoImages;
  /** `build: ./<service>` in the compose file: the directory holds each service's build context. */
  buildContexts?: boolean;
  database?: Exclude<DatabaseService, "profile-full">;
}

let cli: Promise<ComposeCli> | undefined;
function composeCli(): Promise<ComposeCli> {
  cli ??= requireComposeCli();
  return cli;
}

async function compose(stack: Pick<DemoStack, "project" | "dir">, args: string[]): Promise<void> {
  await runCompose(await composeCli(), { projectDir: stack.dir, projectName: stack.project, timeoutMs: COMPOSE_TIMEOUT_MS }, [
    "--file",
    path.join(stack.dir, COMPOSE_FILE),
    ...args,
  ]);
}

/** Renders `version` of the stack into `<dir>/compose.yaml` (a release commits this file). */
export async function writeComposeFile(stack: StackFile, version: DemoVersion): Promise<void> {
  const { labels, ports, images, buildContexts, database } = stack;
  const text = renderDemoCompose({ version, labels, ports, images, buildContexts, database });
  await writeFile(path.join(stack.dir, COMPOSE_FILE), text);
}

async function freePorts(): Promise<Record<HttpService, number>> {
  const [minio, backend, frontend] = await Promise.all([freePort(), freePort(), freePort()]);
  return { minio, backend, frontend };
}

async function projectVolume(docker: Docker, project: string, volume: string): Promise<string> {
  const filters = JSON.stringify({ label: [`${projectLabel}=${project}`, `com.docker.compose.volume=${volume}`] });
  const found = (await docker.listVolumes({ filters })).Volumes ?? [];
  if (found[0] === undefined) throw new RewindError("UNAVAILABLE", `compose created no ${volume} volume for project ${project}`);
  return found[0].Name;
}

async function runningContainers(docker: Docker, project: string): Promise<Record<DemoService, DemoContainer>> {
  const listed = await listProjectContainers(docker, project);
  return perService(async (service) => {
    const container = listed.find((c) => c.service === service && c.state === "running");
    if (container === undefined) throw new RewindError("UNAVAILABLE", `compose project ${project} runs no ${service} container`);
    return { service, id: container.id, name: container.name, image: container.imageRef };
  });
}

function portTaken(error: unknown): boolean {
  return /already allocated|address already in use/i.test(error instanceof Error ? error.message : String(error));
}

/** `docker compose up -d` of `version`: Compose creates what is missing and recreates what changed. */
async function up(docker: Docker, file: StackFile, version: DemoVersion, ownsDir: boolean): Promise<DemoStack> {
  await writeComposeFile(file, version);
  await compose(file, ["up", "--detach", "--remove-orphans"]);
  const urls = Object.fromEntries(httpServices.map((s) => [s, `http://127.0.0.1:${file.ports[s]}`])) as Record<HttpService, string>;
  return {
    ...file,
    ownsDir,
    version,
    minioVolume: await projectVolume(docker, file.project, "minio_data"),
    urls,
    containers: await runningContainers(docker, file.project),
  };
}

function perTag(images: DemoImages[DemoVersion]): Record<DemoService, string> {
  return { minio: images.minio.tag, backend: images.backend.tag, frontend: images.frontend.tag, "pdf-worker": images["pdf-worker"].tag };
}

/** Renders the stack into a project directory and brings it up with Compose. */
export async function upStack(docker: Docker, opts: UpStackOptions): Promise<DemoStack> {
  const dir = opts.dir ?? (await mkdtemp(path.join(tmpdir(), "rewind-demo-stack-")));
  const images = opts.images ? { v1: perTag(opts.images.v1), v2: perTag(opts.images.v2) } : sharedImageTags();
  let lastError: unknown;
  // A probed free port can be taken before Docker binds it: render fresh ones and run `up` again.
  for (let attempt = 0; attempt < 3; attempt++) {
    const file: StackFile = {
      project: opts.project,
      dir,
      labels: opts.labels,
      ports: await freePorts(),
      images,
      buildContexts: opts.buildContexts ?? false,
      database: opts.database ?? "none",
    };
    try {
      return await up(docker, file, opts.version, opts.dir === undefined);
    } catch (error) {
      lastError = error;
      if (!portTaken(error)) break;
    }
  }
  if (opts.dir === undefined) await rm(dir, { recursive: true, force: true });
  throw lastError;
}

/** A deploy of `version`: its compose file rendered over the old one, then `up -d` (app services recreated). */
export async function deployVersion(docker: Docker, stack: DemoStack, version: DemoVersion): Promise<DemoStack> {
  return up(docker, stack, version, stack.ownsDir);
}

/** `docker compose down --volumes`: the project's containers, network and volumes; then its temp dir. */
export async function downStack(stack: Pick<DemoStack, "project" | "dir" | "ownsDir">): Promise<void> {
  await compose(stack, ["down", "--volumes", "--remove-orphans", "--timeout", "5"]);
  if (stack.ownsDir) await rm(stack.dir, { recursive: true, force: true });
}

/** Waits until no service is still `starting`, then returns each service's health. */
export async function settledHealth(docker: Docker, stack: DemoStack, timeoutMs = 30_000): Promise<Record<DemoService, HealthStatus>> {
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

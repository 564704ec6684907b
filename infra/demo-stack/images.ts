// Builds the demo images through the Docker API: each build context (Dockerfile, busybox-static,
// files) is written to a temp dir and streamed as a tar. Shared tags are rebuilt only when their
// content changed, so concurrent test runs reuse them instead of fighting over them.
import { createHash } from "node:crypto";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import type Docker from "dockerode";
import * as tar from "tar";
import { RewindError } from "../../shared/errors.ts";
import { TEST_LABEL, testLabels } from "./labels.ts";
import { type BuildContext, buildContext, type DemoService, type DemoVersion, demoServices, perService } from "./services.ts";

export const BUSYBOX = process.env.REWIND_BUSYBOX ?? "/bin/busybox";
const HASH_LABEL = "rewind.demo.hash";

export interface DemoImage {
  service: DemoService;
  version: DemoVersion;
  tag: string;
  id: string;
}
export type DemoImages = Record<DemoVersion, Record<DemoService, DemoImage>>;

/** The shared tag, or a per-run one that `removeLabelled(docker, runId)` deletes with the run. */
export function demoImageTag(service: DemoService, version: DemoVersion, runId?: string): string {
  return `rewind-demo/${service}:${runId === undefined ? version : `${version}-${runId}`}`;
}

async function readBusybox(): Promise<Buffer> {
  try {
    return await readFile(BUSYBOX);
  } catch (error) {
    throw new RewindError("UNAVAILABLE", `${BUSYBOX} not found: apt-get install -y busybox-static (the demo images are built from it)`, { cause: error });
  }
}

/** Writes a build context to `dir` (also how a demo project checkout carries its sources). */
export async function writeDemoContext(dir: string, context: BuildContext, busybox: Buffer): Promise<void> {
  await writeFile(path.join(dir, "Dockerfile"), context.dockerfile);
  await writeFile(path.join(dir, "busybox"), busybox, { mode: 0o755 });
  await mkdir(path.join(dir, "rootfs"), { recursive: true });
  for (const [file, content] of Object.entries(context.files)) {
    const target = path.join(dir, "rootfs", file);
    await mkdir(path.dirname(target), { recursive: true });
    await writeFile(target, content);
  }
}

/**
 * Writes a version of the demo project's sources into a git checkout: VERSION and each service's
 * build context at `<service>/`, as a compose project keeps its Dockerfiles (a rollback rebuilds
 * from them when an image is gone).
 */
export async function writeProjectSources(dir: string, version: DemoVersion): Promise<void> {
  await writeFile(path.join(dir, "VERSION"), `${version}\n`);
  const busybox = await readFile(BUSYBOX);
  for (const service of demoServices) {
    await rm(path.join(dir, service), { recursive: true, force: true });
    await mkdir(path.join(dir, service));
    await writeDemoContext(path.join(dir, service), buildContext(service, version), busybox);
  }
}

function contextHash(context: BuildContext, busybox: Buffer, labels: Record<string, string>): string {
  const hash = createHash("sha256");
  hash.update(context.dockerfile);
  for (const [file, content] of Object.entries(context.files).sort(([a], [b]) => a.localeCompare(b))) {
    hash.update(`\0${file}\0${content}`);
  }
  hash.update(JSON.stringify(Object.entries(labels).sort()));
  hash.update(busybox);
  return hash.digest("hex").slice(0, 32);
}

async function existingImageId(docker: Docker, tag: string, hash: string): Promise<string | undefined> {
  try {
    const info = await docker.getImage(tag).inspect();
    return info.Config.Labels?.[HASH_LABEL] === hash ? info.Id : undefined;
  } catch (error) {
    if ((error as { statusCode?: number }).statusCode === 404) return undefined;
    throw error;
  }
}

async function build(docker: Docker, dir: string, tag: string, labels: Record<string, string>): Promise<string> {
  const context = Readable.from(tar.c({ cwd: dir, portable: true }, ["."]));
  const stream = await docker.buildImage(context, { t: tag, labels, rm: true });
  const output = await new Promise<{ error?: string; errorDetail?: { message?: string } }[]>((resolve, reject) => {
    docker.modem.followProgress(stream, (error, result) => (error ? reject(error) : resolve(result)));
  });
  const failure = output.find((line) => line.error !== undefined);
  if (failure) {
    throw new RewindError("UNAVAILABLE", `docker build of ${tag} failed: ${failure.errorDetail?.message ?? failure.error}`);
  }
  return (await docker.getImage(tag).inspect()).Id;
}

export async function buildDemoImage(
  docker: Docker,
  service: DemoService,
  version: DemoVersion,
  opts: { labels?: Record<string, string>; runId?: string; busybox?: Buffer } = {},
): Promise<DemoImage> {
  const busybox = opts.busybox ?? (await readBusybox());
  const context = buildContext(service, version);
  const tag = demoImageTag(service, version, opts.runId);
  const baseLabels = { [TEST_LABEL]: "1", ...opts.labels };
  const hash = contextHash(context, busybox, baseLabels);
  const existing = await existingImageId(docker, tag, hash);
  if (existing) return { service, version, tag, id: existing };
  const dir = await mkdtemp(path.join(tmpdir(), "rewind-demo-build-"));
  try {
    await writeDemoContext(dir, context, busybox);
    const id = await build(docker, dir, tag, { ...baseLabels, [HASH_LABEL]: hash });
    return { service, version, tag, id };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * Builds every service in v1 and v2. Without `runId` the images are the shared
 * `rewind-demo/<service>:<version>` tags (never removed by a run's cleanup); with one they are
 * private to that run, tagged `…:<version>-<runId>` and labelled for `removeLabelled`.
 */
export async function buildDemoImages(docker: Docker, opts: { runId?: string } = {}): Promise<DemoImages> {
  const busybox = await readBusybox();
  const labels = opts.runId === undefined ? {} : testLabels(opts.runId);
  const buildVersion = (version: DemoVersion) => perService((service) => buildDemoImage(docker, service, version, { labels, runId: opts.runId, busybox }));
  return { v1: await buildVersion("v1"), v2: await buildVersion("v2") };
}

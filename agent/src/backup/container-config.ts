// `containers.json` beside the archives: every container of the project as it ran at backup time
// (the create spec rebuilt from inspect: env, command, ports, volumes, labels with Compose's config
// hash, health check, networks) and whether it ran or had exited, plus the networks they join. It
// holds env values (passwords, keys), so it stays on the host (mode 0600, and the off-site copy the operator owns); the manifest
// that goes to the control plane carries only its size and sha256, which a rollback checks.
import { createHash } from "node:crypto";
import path from "node:path";
import type Docker from "dockerode";
import * as z from "zod";
import { RewindError } from "../../../shared/errors.ts";
import { imageId } from "../../../shared/schemas/common.ts";
import type { BackupFile } from "../../../shared/schemas/manifest.ts";
import { describeIssues } from "../../../shared/schemas/zod-error.ts";
import type { ProjectContainer } from "../host/compose.ts";
import { type ContainerSpec, captureSpec } from "../host/docker-start.ts";
import { writeFileDurably } from "../host/durable-file.ts";
import { captureNetwork, type NetworkSpec, networksOf } from "../host/networks.ts";
import { openInside } from "./real-location.ts";

export const containersFileName = "containers.json";

export const recordedContainer = z.strictObject({
  id: z.string().min(1),
  name: z.string().min(1),
  service: z.string().min(1),
  imageId,
  imageRef: z.string().min(1),
  refImageId: z.optional(imageId),
  /** false: it had exited (a one-shot job): a rollback creates it again but does not run it. */
  running: z.boolean(),
  create: z.record(z.string(), z.unknown()),
  extraNetworks: z.record(z.string(), z.record(z.string(), z.unknown())),
});
export type RecordedContainer = z.output<typeof recordedContainer>;

/** A user-defined network the containers join, as `POST /networks/create` takes it. */
export const recordedNetwork = z.looseObject({ Name: z.string().min(1) });

const containersFile = z.strictObject({
  version: z.literal(1),
  composeProject: z.string().min(1),
  containers: z.array(recordedContainer),
  networks: z.array(recordedNetwork).default([]),
});
export type RecordedConfig = z.output<typeof containersFile>;

/** Containers `docker compose run` made are throwaway, not part of the release. */
const oneOffLabel = "com.docker.compose.oneoff";

export function toSpec(recorded: RecordedContainer): ContainerSpec {
  return { ...recorded, create: recorded.create as Docker.ContainerCreateOptions, extraNetworks: recorded.extraNetworks as ContainerSpec["extraNetworks"] };
}

/** Capture every container of the project into `dir/containers.json` (0600); returns the manifest's file entry. */
export async function recordContainers(docker: Docker, containers: readonly ProjectContainer[], project: string, dir: string): Promise<BackupFile> {
  const recorded: RecordedContainer[] = [];
  for (const container of containers) {
    const spec = await captureSpec(docker, container.id, container.service);
    if (spec.create.Labels?.[oneOffLabel] === "True") continue;
    recorded.push(recordedContainer.parse({ ...spec, running: spec.running ?? false }));
  }
  const networks: NetworkSpec[] = [];
  for (const name of networksOf(recorded.map(toSpec))) {
    const network = await captureNetwork(docker, name);
    if (network) networks.push(network);
  }
  const text = `${JSON.stringify(containersFile.parse({ version: 1, composeProject: project, containers: recorded, networks }), null, 2)}\n`;
  await writeFileDurably(path.join(dir, containersFileName), text, 0o600);
  const bytes = Buffer.byteLength(text);
  return { path: containersFileName, bytes, sha256: createHash("sha256").update(text).digest("hex") };
}

/** The recorded containers, refused unless the file is exactly the one the (signed) manifest names. */
export async function readRecordedConfig(dir: string, file: { path: string; sha256: string }): Promise<RecordedConfig> {
  const location = path.resolve(dir, file.path);
  let text: Buffer;
  try {
    const opened = await openInside(dir, location, "the recorded container configuration", "its backup directory");
    text = await opened.readFile().finally(() => opened.close());
  } catch (error) {
    throw new RewindError("BACKUP_INVALID", `cannot read the recorded container configuration ${location}: ${(error as Error).message}`, {
      cause: error,
    });
  }
  const sha256 = createHash("sha256").update(text).digest("hex");
  if (sha256 !== file.sha256) {
    throw new RewindError("BACKUP_INVALID", `${location} has sha256 ${sha256}, the manifest says ${file.sha256}: it was changed after the backup`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text.toString("utf8"));
  } catch (error) {
    throw new RewindError("BACKUP_INVALID", `${location} is not valid JSON: ${(error as Error).message}`, { cause: error });
  }
  const parsed = containersFile.safeParse(raw);
  if (!parsed.success) throw new RewindError("BACKUP_INVALID", `${location}: ${describeIssues(parsed.error)}`);
  return parsed.data;
}

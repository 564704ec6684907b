// The manifest as data: assembled from what the backup observed and checked against the shared
// schema before it is written, so a malformed manifest never reaches disk or the control plane.
import { RewindError } from "../../../shared/errors.ts";
import { type BackupManifest, backupManifest, type ServiceImage } from "../../../shared/schemas/manifest.ts";
import { describeIssues } from "../../../shared/schemas/zod-error.ts";
import type { ProjectContainer } from "../host/compose.ts";
import { keepTag } from "./keep-images.ts";

/** One entry per service (a scaled service's replicas run the same image: the first is recorded). */
export function serviceImages(containers: readonly ProjectContainer[], project: string, timestamp: string): ServiceImage[] {
  const byService = new Map<string, ServiceImage>();
  for (const container of containers) {
    if (byService.has(container.service)) continue;
    byService.set(container.service, {
      service: container.service,
      imageId: container.imageId,
      keepTag: keepTag(project, container.service, timestamp),
      // A bare image id as the reference says nothing a rebuild could use.
      ...(container.imageRef.startsWith("sha256:") ? {} : { imageRef: container.imageRef }),
    });
  }
  return [...byService.values()];
}

export function buildManifest(input: Omit<BackupManifest, "version">): BackupManifest {
  const result = backupManifest.safeParse({ version: 1, ...input });
  if (!result.success) {
    throw new RewindError("INTERNAL", `the backup manifest would be invalid: ${describeIssues(result.error)}`);
  }
  return result.data;
}

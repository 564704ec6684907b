import { describe, expect, it } from "vitest";
import { isRewindError } from "../../../shared/errors.ts";
import type { ProjectContainer } from "../host/compose.ts";
import { buildManifest, serviceImages } from "./build-manifest.ts";
import { keepTag } from "./keep-images.ts";

const image = (n: number): string => `sha256:${String(n).repeat(64)}`;
const container = (service: string, n: number, imageRef: string): ProjectContainer => ({
  id: `${service}-${n}`,
  name: `app-${service}-${n}`,
  service,
  imageId: image(n),
  imageRef,
  state: "running",
  health: "healthy",
});

describe("manifest building", () => {
  it("records one image per service with a keep tag Docker accepts", () => {
    const services = serviceImages(
      [container("backend", 1, "app/backend:1.4"), container("backend", 2, "app/backend:1.4"), container("Pdf_Worker", 3, image(3))],
      "My.Project",
      "20241130_143022",
    );
    expect(services).toEqual([
      { service: "backend", imageId: image(1), keepTag: "rewind-keep/my.project/backend:20241130_143022", imageRef: "app/backend:1.4" },
      { service: "Pdf_Worker", imageId: image(3), keepTag: "rewind-keep/my.project/pdf_worker:20241130_143022" },
    ]);
  });

  it("keeps tags of two projects apart", () => {
    expect(keepTag("shop", "backend", "20241130_143022")).not.toBe(keepTag("blog", "backend", "20241130_143022"));
  });

  it("refuses to produce a manifest the schema would reject", () => {
    let error: unknown;
    try {
      buildManifest({
        backupId: "pre-deployment-20241130_143022",
        host: "Not A Host",
        composeProject: "app",
        timestamp: "20241130_143022",
        createdAt: "2024-11-30T14:30:22.000Z",
        git: { commit: "abc1234", branch: "main" },
        services: [],
        agentVersion: "0.1.0",
      });
    } catch (caught) {
      error = caught;
    }
    expect(isRewindError(error, "INTERNAL")).toBe(true);
    expect((error as Error).message).toContain("host");
  });
});

// The demo's last check: the host counts as back only when images, compose configuration, health,
// data and code all match the backup; each difference is named.
import { describe, expect, it } from "vitest";
import { differences, type Expected, type HostState } from "../../scripts/demo/restored-state.ts";

const expected: Expected = {
  commit: "a".repeat(40),
  images: { backend: "sha256:v1backend", minio: "sha256:v1minio" },
  releases: { backend: "v1" },
  tables: { "table:jobs": [{ id: 1 }] },
  files: { "schedgen/a.txt": "a" },
  backendVersion: "v1",
};

const restored: HostState = {
  commit: expected.commit,
  services: {
    backend: { imageId: "sha256:v1backend", health: "healthy", state: "running", release: "v1" },
    minio: { imageId: "sha256:v1minio", health: "healthy", state: "running" },
  },
  tables: expected.tables,
  files: expected.files,
  backendVersion: "v1",
};

describe("differences from the backup", () => {
  it("finds none when the v1 images, configuration, data and code are back", () => {
    expect(differences(expected, restored)).toEqual([]);
  });

  it("names a service still configured as the bad release, even on the backup's image", () => {
    const halfBack = { ...restored, services: { ...restored.services, backend: { ...restored.services.backend, release: "v2" } } } as HostState;
    expect(differences(expected, halfBack)).toEqual(["backend: runs with SCHEDGEN_RELEASE=v2, the backup's configuration had v1"]);
  });

  it("names a wrong image, an unhealthy service and changed data", () => {
    const broken: HostState = {
      ...restored,
      services: { ...restored.services, minio: { imageId: "sha256:v2minio", health: "unhealthy", state: "running" } },
      files: { "schedgen/a.txt": "changed" },
    };
    expect(differences(expected, broken)).toEqual([
      "minio: runs v2minio, the backup recorded v1minio",
      "minio: running, unhealthy",
      "MinIO file schedgen/a.txt differs from the backup",
    ]);
  });
});

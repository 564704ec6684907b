import { createHash } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { isRewindError } from "../../../shared/errors.ts";
import { backupManifest } from "../../../shared/schemas/manifest.ts";
import { readRecordedConfig } from "./container-config.ts";

const recorded = {
  version: 1,
  composeProject: "shop",
  containers: [
    {
      id: "c".repeat(64),
      name: "shop_migrate_1",
      service: "migrate",
      imageId: `sha256:${"a".repeat(64)}`,
      imageRef: "shop_migrate",
      running: false,
      create: { Env: ["DB_PASSWORD=secret"], Labels: { "com.docker.compose.config-hash": "abc" } },
      extraNetworks: {},
    },
  ],
};

describe("the recorded container configuration", () => {
  const dirs: string[] = [];
  afterAll(async () => {
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  });

  async function written(text: string): Promise<string> {
    const dir = await mkdtemp(path.join(tmpdir(), "rewind-containers-"));
    dirs.push(dir);
    await writeFile(path.join(dir, "containers.json"), text);
    return dir;
  }

  it("is read back when it is exactly the file the manifest names", async () => {
    const text = JSON.stringify(recorded);
    const dir = await written(text);
    const sha256 = createHash("sha256").update(text).digest("hex");
    const { containers, networks } = await readRecordedConfig(dir, { path: "containers.json", sha256 });
    expect(containers.map((c) => [c.name, c.running])).toEqual([["shop_migrate_1", false]]);
    // Recorded before networks were: none to create.
    expect(networks).toEqual([]);
  });

  it("is refused once changed after the backup", async () => {
    const original = JSON.stringify(recorded);
    const dir = await written(original.replace("secret", "other"));
    const sha256 = createHash("sha256").update(original).digest("hex");
    const error = await readRecordedConfig(dir, { path: "containers.json", sha256 }).catch((e: unknown) => e);
    expect(isRewindError(error, "BACKUP_INVALID")).toBe(true);
    expect((error as Error).message).toContain("changed after the backup");
  });

  it("is optional in the manifest: backups from before it was recorded still parse", () => {
    const older = {
      version: 1,
      backupId: "pre-deployment-20241130_143022",
      host: "web-1",
      composeProject: "shop",
      timestamp: "20241130_143022",
      createdAt: "2024-11-30T14:30:22.000Z",
      git: { commit: "abc1234", branch: "main" },
      services: [],
      agentVersion: "0.1.0",
    };
    expect(backupManifest.safeParse(older).success).toBe(true);
  });
});

// localManifests on real directories: newest first by creation time, not by name; a seed backup
// without a manifest is simply not announced, a damaged manifest is reported.
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { BackupManifest } from "../../../shared/schemas/manifest.ts";
import { type AgentConfig, parseAgentConfig } from "../config.ts";
import { localManifests } from "./local-manifests.ts";
import { writeManifest } from "./manifest-file.ts";

let root: string;
let config: AgentConfig;

function manifest(name: string, createdAt: string): BackupManifest {
  return {
    version: 1,
    backupId: name,
    host: "web-1",
    composeProject: "schedgen",
    timestamp: name.slice("pre-deployment-".length),
    createdAt,
    git: { commit: "abc123def456", branch: "main" },
    services: [],
    agentVersion: "0.1.0",
  };
}

async function backupDir(name: string): Promise<string> {
  const dir = path.join(config.project.backupsDir, name);
  await mkdir(dir, { recursive: true });
  return dir;
}

beforeEach(async () => {
  root = await mkdtemp(path.join(tmpdir(), "rewind-local-manifests-"));
  config = parseAgentConfig({ host: "web-1", stateDir: "state", project: { name: "schedgen", dir: "." } }, "test", root);
});

afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

describe("localManifests", () => {
  it("lists newest first by creation time, skips a seed backup without a manifest, reports a damaged one", async () => {
    // Named in local time ahead of UTC: sorts after the newer one by name.
    const seedNamed = "pre-deployment-20241205_230000";
    await writeManifest(await backupDir(seedNamed), { ...manifest(seedNamed, "2024-12-05T13:00:00.000Z"), origin: "seed" });
    const newer = "pre-deployment-20241205_150000";
    await writeManifest(await backupDir(newer), manifest(newer, "2024-12-05T15:00:00.000Z"));
    await writeFile(path.join(await backupDir("pre-deployment-20241201_000000"), "db_20241201_000000.sql.gz"), "");
    const damaged = await backupDir("pre-deployment-20241130_000000");
    await writeFile(path.join(damaged, "manifest.json"), "{ not json");

    const found = await localManifests(config);
    expect(found.manifests.map((m) => m.backupId)).toEqual([newer, seedNamed]);
    expect(found.unreadable).toEqual([{ dir: damaged, reason: expect.stringContaining("is not valid JSON") }]);
    expect((await localManifests(config, 1)).manifests.map((m) => m.backupId)).toEqual([newer]);
  });
});

// A host that runs `docker-compose -f compose.yaml -f compose.prod.yaml` (project.composeFiles), on
// the host's real Compose CLI. A rollback started with Compose (a backup without recorded container
// configuration) brings back the merged configuration of the TARGET commit's files, base and
// override; and a target commit that lacks a configured file is refused in preflight, naming the
// file and the commit, with nothing stopped and the checkout untouched. A rollback that recreates the
// recorded containers needs the files only to build a recorded image that is gone.
import { execFile } from "node:child_process";
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";
import type Docker from "dockerode";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { manifestPath, readManifest } from "../../agent/src/backup/manifest-file.ts";
import { containerLogs } from "../../agent/src/host/docker-start.ts";
import type { RollbackReport } from "../../agent/src/rollback/report.ts";
import { runRollback } from "../../agent/src/rollback/run-rollback.ts";
import { requireDocker } from "../world/docker.ts";
import { type CliResult, runRewindCli } from "../world/rewind-cli.ts";
import { type ComposeRelease, type ComposeReleaseOptions, prepareComposeRelease } from "./compose-release-fixture.ts";

const run = promisify(execFile);

/** The fixture's two releases, with the backup of v1 made a pre-12.2 one (no containers.json): Compose starts v1. */
async function withoutRecordedConfig(docker: Docker, options: ComposeReleaseOptions): Promise<ComposeRelease> {
  const world = await prepareComposeRelease(docker, options);
  const { containers: _recorded, ...older } = await readManifest(world.backupDir);
  await writeFile(manifestPath(world.backupDir), `${JSON.stringify(older, null, 2)}\n`);
  return world;
}

async function rollBack(docker: Docker, world: ComposeRelease, id: string): Promise<RollbackReport> {
  return runRollback(
    world.config,
    { rollbackId: `${id}-${world.runId}`, backup: { kind: "manifest", dir: world.backupDir }, mode: "full", reason: "compose.prod.yaml" },
    { docker, signal: new AbortController().signal, onProgress: () => undefined },
  );
}

async function head(dir: string): Promise<string> {
  return (await run("git", ["-C", dir, "rev-parse", "HEAD"])).stdout.trim();
}

describe("a rollback with project.composeFiles, started with Compose", () => {
  let docker: Docker;
  let world: ComposeRelease;
  let report: RollbackReport;

  beforeAll(async () => {
    docker = await requireDocker();
    world = await withoutRecordedConfig(docker, { prodOverride: "both" });
    report = await rollBack(docker, world, "rb-files");
  });

  afterAll(async () => {
    await world?.cleanup();
  });

  it("starts v1 from v1's base and override files merged", async () => {
    expect(report.error).toBeUndefined();
    expect(report.state).toBe("succeeded");
    expect(await head(world.config.project.dir)).toBe(world.v1Commit);
    const containers = await world.containers();
    expect(containers.map((c) => c.service).sort()).toEqual(["legacy", "migrate", "web"]);
    const web = await docker.getContainer(containers.find((c) => c.service === "web")?.id ?? "").inspect();
    // compose.yaml alone says hello-v1; v1's compose.prod.yaml overrides it.
    expect(web.Config.Env).toContain("GREETING=prod-v1");
    expect(web.Config.Labels["rewind.test.tier"]).toBe("prod-v1");
    expect(await containerLogs(docker, web.Id)).toContain("greeting=prod-v1");
  });

  it("leaves nothing for the host's own `-f compose.yaml -f compose.prod.yaml up -d` to recreate", async () => {
    const before = Object.fromEntries((await world.containers()).map((c) => [c.service, c.id]));
    const { stdout, stderr } = await world.compose("up", "-d");
    expect(`${stdout}\n${stderr}`).not.toMatch(/Recreat|Creating/);
    expect(Object.fromEntries((await world.containers()).map((c) => [c.service, c.id]))).toEqual(before);
  });
});

describe("a rollback to a commit without one of project.composeFiles", () => {
  let docker: Docker;
  let world: ComposeRelease;
  let result: CliResult;
  let before: Record<string, string>;
  let v2Commit: string;

  beforeAll(async () => {
    docker = await requireDocker();
    // v1 had compose.yaml only; v2 added compose.prod.yaml, and the host's config names both.
    world = await withoutRecordedConfig(docker, { prodOverride: "v2" });
    before = Object.fromEntries((await world.containers()).map((c) => [c.service, `${c.id} ${c.state}`]));
    v2Commit = await head(world.config.project.dir);
    const configFile = path.join(world.root, "agent.json");
    await writeFile(configFile, JSON.stringify(world.config));
    result = await runRewindCli(["rollback", "--local", "--config", configFile, "--backup", world.backupDir, "--yes"]);
  });

  afterAll(async () => {
    await world?.cleanup();
  });

  it("`rewind rollback --local` exits 1 in preflight, naming the file and the commit", () => {
    expect(result.code, result.stderr).toBe(1);
    expect(result.stderr).toContain(`PREFLIGHT_FAILED: compose file compose.prod.yaml (project.composeFiles) is not in commit ${world.v1Commit.slice(0, 12)}`);
    expect(result.stderr).toContain("(in step preflight)");
  });

  it("leaves the services and the checkout as they were", async () => {
    expect(Object.fromEntries((await world.containers()).map((c) => [c.service, `${c.id} ${c.state}`]))).toEqual(before);
    expect(await head(world.config.project.dir)).toBe(v2Commit);
  });
});

describe("a rollback with recorded containers to a commit without one of project.composeFiles", () => {
  let docker: Docker;
  let world: ComposeRelease;

  beforeAll(async () => {
    docker = await requireDocker();
    world = await prepareComposeRelease(docker, { prodOverride: "v2" });
  });

  afterAll(async () => {
    await world?.cleanup();
  });

  it("is refused in preflight when a recorded image is gone and Compose would build it", async () => {
    const before = Object.fromEntries((await world.containers()).map((c) => [c.service, `${c.id} ${c.state}`]));
    const web = world.manifest.services.find((s) => s.service === "web");
    await docker.getImage(web?.imageId ?? "").remove({ force: true });
    const report = await rollBack(docker, world, "rb-gone");
    expect(report.error).toMatchObject({ step: "preflight", code: "PREFLIGHT_FAILED" });
    expect(report.error?.message).toContain(`compose file compose.prod.yaml (project.composeFiles) is not in commit ${world.v1Commit.slice(0, 12)}`);
    expect(Object.fromEntries((await world.containers()).map((c) => [c.service, `${c.id} ${c.state}`]))).toEqual(before);
  });
});

describe("a rollback with recorded containers and their images to a commit without one of project.composeFiles", () => {
  let docker: Docker;
  let world: ComposeRelease;
  let report: RollbackReport;

  beforeAll(async () => {
    docker = await requireDocker();
    world = await prepareComposeRelease(docker, { prodOverride: "v2" });
    report = await rollBack(docker, world, "rb-recorded");
  });

  afterAll(async () => {
    await world?.cleanup();
  });

  it("recreates the recorded containers without Compose: the files are not needed", async () => {
    expect(report.error).toBeUndefined();
    expect(report.state).toBe("succeeded");
    const containers = await world.containers();
    expect(containers.map((c) => c.service).sort()).toEqual(["legacy", "migrate", "web"]);
    const web = await docker.getContainer(containers.find((c) => c.service === "web")?.id ?? "").inspect();
    expect(web.Config.Env).toContain("GREETING=hello-v1");
  });
});

// The previous release is its images AND its container configuration, on real Compose. A rollback
// across a compose.yaml change brings back web's env value, removes the service v2 added, brings
// back the one v2 removed, leaves the one-shot migration exited, and leaves nothing for
// `compose up -d` to change. A backup without recorded configuration rebuilds with Compose from
// the reverted checkout's build contexts (./app, not <service>/Dockerfile), and a one-shot job only
// the restored release has (restart "no") is done once it exited 0, not awaited as a running service.
import { stat, writeFile } from "node:fs/promises";
import path from "node:path";
import type Docker from "dockerode";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { manifestPath, readManifest } from "../../agent/src/backup/manifest-file.ts";
import { containerLogs } from "../../agent/src/host/docker-start.ts";
import type { RollbackProgress } from "../../agent/src/rollback/executor.ts";
import type { RollbackReport } from "../../agent/src/rollback/report.ts";
import { runRollback } from "../../agent/src/rollback/run-rollback.ts";
import { requireDocker } from "../world/docker.ts";
import { freePort } from "../world/ports.ts";
import { type ComposeRelease, prepareComposeRelease } from "./compose-release-fixture.ts";

async function rollBack(
  docker: Docker,
  world: ComposeRelease,
  id: string,
  config = world.config,
  onProgress: (event: RollbackProgress) => void = () => undefined,
): Promise<RollbackReport> {
  return runRollback(
    config,
    { rollbackId: `${id}-${world.runId}`, backup: { kind: "manifest", dir: world.backupDir }, mode: "full", reason: "compose.yaml change" },
    { docker, signal: new AbortController().signal, onProgress },
  );
}

async function envOf(docker: Docker, id: string): Promise<string[]> {
  return (await docker.getContainer(id).inspect()).Config.Env;
}

describe("a rollback to a backup that recorded each container's configuration", () => {
  let docker: Docker;
  let world: ComposeRelease;
  let report: RollbackReport;
  let migrateRunsBefore: number;

  beforeAll(async () => {
    docker = await requireDocker();
    world = await prepareComposeRelease(docker);
    migrateRunsBefore = await world.migrateRuns();
    report = await rollBack(docker, world, "rb-cfg");
  });

  afterAll(async () => {
    await world?.cleanup();
  });

  it("keeps the configuration on the host: the manifest carries only its hash", async () => {
    expect(world.manifest.containers).toMatchObject({ path: "containers.json" });
    expect(JSON.stringify(world.manifest)).not.toContain("hello-v1");
    expect((await stat(path.join(world.backupDir, "containers.json"))).mode & 0o777).toBe(0o600);
  });

  it("brings back v1's containers exactly: env, removed service back, added service gone, one-shot not re-run", async () => {
    expect(report.error).toBeUndefined();
    expect(report.state).toBe("succeeded");
    const containers = await world.containers();
    expect(containers.map((c) => c.service).sort()).toEqual(["legacy", "migrate", "web"]);
    const byService = Object.fromEntries(containers.map((c) => [c.service, c]));
    expect(await envOf(docker, byService.web?.id ?? "")).toContain("GREETING=hello-v1");
    expect(await containerLogs(docker, byService.web?.id ?? "")).toContain("app v1");
    expect(byService.web?.state).toBe("running");
    expect(byService.legacy?.state).toBe("running");
    // v2's deploy removed legacy's network with it: created again as Compose had made it.
    const legacyNetworks = (await docker.getContainer(byService.legacy?.id ?? "").inspect()).NetworkSettings.Networks;
    expect(Object.keys(legacyNetworks).sort()).toEqual([`${world.project}_backoffice`, `${world.project}_default`]);
    // Created again from its recorded configuration, never started: the job does not run twice.
    expect(byService.migrate?.state).toBe("created");
    expect(await world.migrateRuns()).toBe(migrateRunsBefore);
  });

  it("leaves nothing for `compose up -d` from the reverted checkout to recreate", async () => {
    const before = Object.fromEntries((await world.containers()).map((c) => [c.service, c.id]));
    const { stdout, stderr } = await world.compose("up", "-d");
    const output = `${stdout}\n${stderr}`;
    expect(output).not.toMatch(/Recreat|Creating/);
    const after = Object.fromEntries((await world.containers()).map((c) => [c.service, c.id]));
    expect(after).toEqual(before);
  });
});

describe("a rollback to a backup without recorded configuration", () => {
  let docker: Docker;
  let world: ComposeRelease;
  let report: RollbackReport;

  beforeAll(async () => {
    docker = await requireDocker();
    world = await prepareComposeRelease(docker, { v1Setup: true });
    // What a seed-style backup (or Rewind's before it recorded configuration) knows: no containers, no images.
    const { containers: _recorded, ...older } = await readManifest(world.backupDir);
    await writeFile(manifestPath(world.backupDir), `${JSON.stringify({ ...older, services: [] }, null, 2)}\n`);
    report = await rollBack(docker, world, "rb-seedcfg");
  });

  afterAll(async () => {
    await world?.cleanup();
  });

  it("builds from the compose file's build contexts and brings the v1 project up with Compose", async () => {
    expect(report.error).toBeUndefined();
    expect(report.state).toBe("succeeded");
    const containers = await world.containers();
    expect(containers.map((c) => c.service).sort()).toEqual(["legacy", "migrate", "setup", "web"]);
    const web = containers.find((c) => c.service === "web");
    expect(await envOf(docker, web?.id ?? "")).toContain("GREETING=hello-v1");
    expect(await containerLogs(docker, web?.id ?? "")).toContain("app v1");
    expect(containers.find((c) => c.service === "legacy")?.state).toBe("running");
  });

  it("runs v1's one-shot setup job once and counts it done when it exited 0", async () => {
    const setup = (await world.containers()).find((c) => c.service === "setup");
    expect(setup).toMatchObject({ state: "exited", exitCode: 0 });
    expect(await containerLogs(docker, setup?.id ?? "")).toContain("set up");
    expect(report.steps.find((s) => s.id === "verify")?.state).toBe("succeeded");
  });
});

describe("an undone rollback to a backup that recorded each container's configuration", () => {
  let docker: Docker;
  let world: ComposeRelease;
  let report: RollbackReport;
  let v2: Record<string, string>;

  beforeAll(async () => {
    docker = await requireDocker();
    world = await prepareComposeRelease(docker);
    v2 = Object.fromEntries((await world.containers()).map((c) => [c.service, c.id]));
    // Nothing listens there: verify fails after start, so the rollback undoes itself.
    const smokeChecks = [{ name: "nothing listens", url: `http://127.0.0.1:${await freePort()}/`, expectStatus: 200 }];
    report = await rollBack(docker, world, "rb-cfgundo", { ...world.config, project: { ...world.config.project, smokeChecks } });
  });

  afterAll(async () => {
    await world?.cleanup();
  });

  it("brings back the bad release's containers, the one the rollback retired included", async () => {
    expect(report.state).toBe("undone");
    const containers = await world.containers();
    expect(containers.map((c) => c.service).sort()).toEqual(["extra", "migrate", "web"]);
    // The one the rollback retired is the very container, kept stopped for this; the replaced ones are recreated from their specs.
    expect(containers.find((c) => c.service === "extra")?.id).toBe(v2.extra);
    const web = containers.find((c) => c.service === "web");
    expect(await envOf(docker, web?.id ?? "")).toContain("GREETING=hello-v2");
    expect(containers.find((c) => c.service === "extra")?.state).toBe("running");
    expect(containers.find((c) => c.service === "migrate")?.state).toBe("created");
  });

  it("leaves nothing for `compose up -d` from the v2 checkout to recreate", async () => {
    const before = Object.fromEntries((await world.containers()).map((c) => [c.service, c.id]));
    const { stdout, stderr } = await world.compose("up", "-d");
    expect(`${stdout}\n${stderr}`).not.toMatch(/Recreat|Creating/);
    expect(Object.fromEntries((await world.containers()).map((c) => [c.service, c.id]))).toEqual(before);
  });
});

describe("a rollback to a Rewind backup from before container configuration was recorded", () => {
  let docker: Docker;
  let world: ComposeRelease;
  let report: RollbackReport;
  const events: RollbackProgress[] = [];

  beforeAll(async () => {
    docker = await requireDocker();
    world = await prepareComposeRelease(docker);
    const { containers: _recorded, ...older } = await readManifest(world.backupDir);
    await writeFile(manifestPath(world.backupDir), `${JSON.stringify(older, null, 2)}\n`);
    report = await rollBack(docker, world, "rb-oldcfg", world.config, (event) => events.push(event));
  });

  afterAll(async () => {
    await world?.cleanup();
  });

  it("starts the recorded images with Compose (their tags pointed back), building nothing", async () => {
    expect(report.error).toBeUndefined();
    expect(report.state).toBe("succeeded");
    expect(events.some((e) => e.message?.startsWith("building"))).toBe(false);
    const containers = await world.containers();
    expect(containers.map((c) => c.service).sort()).toEqual(["legacy", "migrate", "web"]);
    const recorded = Object.fromEntries(world.manifest.services.map((s) => [s.service, s.imageId]));
    const web = containers.find((c) => c.service === "web");
    expect(web?.imageId).toBe(recorded.web);
    expect(await envOf(docker, web?.id ?? "")).toContain("GREETING=hello-v1");
    const before = Object.fromEntries(containers.map((c) => [c.service, c.id]));
    const { stdout, stderr } = await world.compose("up", "-d");
    expect(`${stdout}\n${stderr}`).not.toMatch(/Recreat|Creating/);
    expect(Object.fromEntries((await world.containers()).map((c) => [c.service, c.id]))).toEqual(before);
  });
});

// `rewind deploy` on a real host: the demo stack runs v1 in a git checkout, the host's agent is
// enrolled and connected to the control plane in workerd. Deploying the broken v2 makes the watch
// see 3 consecutive failed health checks and roll back through the control plane (the agent runs
// it); a deploy command that fails rolls back locally with --local; a good deploy exits 0.
import { execFile, spawn } from "node:child_process";
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { promisify } from "node:util";
import type Docker from "dockerode";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { listProjectContainers } from "../../agent/src/host/compose.ts";
import { buildDemoImages } from "../../infra/demo-stack/images.ts";
import { DEMO_BUCKET } from "../../infra/demo-stack/services.ts";
import { type DemoStack, downStack, upStack, volumeDir } from "../../infra/demo-stack/stack.ts";
import { type AgentProcess, spawnAgent } from "../world/agent.ts";
import { type ControlPlaneWorld, startControlPlane } from "../world/control-plane.ts";
import { createDemoDatabase, seedMinioData } from "../world/demo-data.ts";
import { newRunId, removeLabelled, requireDocker, testLabels } from "../world/docker.ts";
import { type PgCluster, startPostgres } from "../world/postgres.ts";
import { databaseNames, gitHeadOf, snapshotDatabase, snapshotFiles } from "./rollback-fixture.ts";

const run = promisify(execFile);
const repoRoot = path.resolve(import.meta.dirname, "../..");
const rewind = path.join(repoRoot, "bin/rewind.js");
const deployScript = path.join(repoRoot, "test/fixtures/deploy/deploy-demo.ts");
// The deploy command runs in the project dir, where no node_modules resolves `tsx` by name.
const tsxLoader = pathToFileURL(path.join(repoRoot, "node_modules/tsx/dist/loader.mjs")).href;
const host = "deploy-test";

let docker: Docker;
let cluster: PgCluster;
let controlPlane: ControlPlaneWorld;
let agent: AgentProcess | undefined;
let root: string;
let projectDir: string;
let project: string;
let runId: string;
let configFile: string;
let stackFile: string;
let stack: DemoStack | undefined;
let databaseUrl: string;
let database: string;
let dataDir: string;

async function git(...args: string[]): Promise<string> {
  return (await run("git", ["-C", projectDir, ...args])).stdout.trim();
}

interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

function deploy(args: string[], deployArgs: string[]): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [
        rewind,
        "deploy",
        "--config",
        configFile,
        ...args,
        "--",
        process.execPath,
        "--import",
        tsxLoader,
        deployScript,
        "--stack",
        stackFile,
        "--database",
        databaseUrl,
        ...deployArgs,
      ],
      { cwd: repoRoot, stdio: ["ignore", "pipe", "pipe"] },
    );
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.once("error", reject);
    child.once("exit", (code) => resolve({ code, stdout, stderr }));
  });
}

async function api(apiPath: string, init?: RequestInit): Promise<Record<string, unknown>> {
  const response = await controlPlane.api(apiPath, init);
  const body = (await response.json()) as Record<string, unknown>;
  if (!response.ok) throw new Error(`${apiPath} answered ${response.status}: ${JSON.stringify(body)}`);
  return body;
}

async function allHealthy(): Promise<boolean> {
  const containers = await listProjectContainers(docker, project);
  return containers.length === 4 && containers.every((c) => c.state === "running" && c.health === "healthy");
}

beforeAll(async () => {
  docker = await requireDocker();
  [cluster, controlPlane] = await Promise.all([startPostgres(), startControlPlane()]);
  runId = newRunId();
  project = `rwdp${runId}`;
  root = await mkdtemp(path.join(tmpdir(), "rewind-deploy-"));
  projectDir = path.join(root, "project");
  await mkdir(projectDir);
  await git("init", "-q", "-b", "main");
  await writeFile(path.join(projectDir, ".gitignore"), "backups/\n.last-deployment-backup\n");
  await writeFile(path.join(projectDir, "VERSION"), "v1\n");

  await buildDemoImages(docker);
  database = `schedgen_${runId}`;
  databaseUrl = await createDemoDatabase(cluster, "v1", database);
  // Compose runs v1 from the checkout's compose.yaml, which the v1 commit holds.
  stack = await upStack(docker, { project, version: "v1", labels: testLabels(runId), dir: projectDir });
  await git("add", "-A");
  await git("-c", "user.name=test", "-c", "user.email=test@example.com", "commit", "-q", "-m", "release v1");
  dataDir = await volumeDir(docker, stack.minioVolume);
  await seedMinioData(dataDir, "v1");
  stackFile = path.join(root, "stack.json");
  await writeFile(stackFile, JSON.stringify(stack));
  configFile = path.join(root, "agent.json");
  await writeFile(
    configFile,
    JSON.stringify({
      host,
      stateDir: path.join(root, "state"),
      project: {
        name: project,
        dir: projectDir,
        infraServices: ["minio"],
        database: { adminUrl: cluster.adminUrl, name: database, binDir: cluster.bin },
        minio: { volume: stack.minioVolume, buckets: [DEMO_BUCKET] },
        smokeChecks: [{ name: "frontend", url: `${stack.urls.frontend}/index.html` }],
      },
      thresholds: { minFreeDiskBytes: 1024 ** 2, healthTimeoutSeconds: 60, watchSeconds: 0, stopTimeoutSeconds: 5 },
      log: { format: "json" },
    }),
  );
  const enrollment = await api("/v1/enrollments", { method: "POST", body: JSON.stringify({ host }) });
  await run(
    process.execPath,
    [rewind, "agent", "enroll", "--url", controlPlane.url, "--token", String(enrollment.token), "--host", host, "--config", configFile],
    {
      cwd: repoRoot,
    },
  );
  agent = spawnAgent(configFile);
  const deadline = Date.now() + 60_000;
  while (!((await api("/v1/hosts")).hosts as Array<{ name: string; status: string }>).some((h) => h.name === host && h.status === "online")) {
    if (Date.now() > deadline) throw new Error(`agent not online: ${agent.logs().slice(-20).join("\n")}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  while (!(await allHealthy())) {
    if (Date.now() > deadline) throw new Error(`demo stack ${project} not healthy: ${JSON.stringify(await listProjectContainers(docker, project))}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
});

afterAll(async () => {
  await agent?.stop();
  await controlPlane?.stop();
  if (docker !== undefined && project !== undefined) {
    if (stack !== undefined) await downStack(stack);
    await removeLabelled(docker, runId);
    const kept = await docker.listImages({ filters: JSON.stringify({ reference: [`rewind-keep/${project}/*`] }) });
    for (const tag of kept.flatMap((image) => image.RepoTags ?? []).filter((t) => t.startsWith(`rewind-keep/${project}/`))) {
      await docker.getImage(tag).remove({ noprune: true });
    }
  }
  if (cluster !== undefined) {
    for (const name of (await databaseNames(cluster)).filter((n) => n.startsWith(database))) {
      const admin = new pg.Client({ connectionString: cluster.adminUrl });
      await admin.connect();
      await admin.query(`DROP DATABASE ${admin.escapeIdentifier(name)} WITH (FORCE)`).finally(() => admin.end());
    }
    await cluster.stop();
  }
  if (root !== undefined) await rm(root, { recursive: true, force: true });
});

describe("rewind deploy", () => {
  it("keeps a healthy deploy and exits 0 after the window", async () => {
    const before = await gitHeadOf(projectDir);
    const result = await deploy(["--window", "3", "--interval", "1"], ["--version", "v1"]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toContain("rewind deploy: deployed; healthy through the watch window");
    expect(result.stdout).toContain("deployed v1");
    expect(await gitHeadOf(projectDir)).not.toBe(before);
    expect((await api("/v1/rollbacks")).rollbacks).toEqual([]);
  });

  it("rolls the broken v2 back through the control plane after 3 consecutive failed health checks", async () => {
    const v1Commit = await gitHeadOf(projectDir);
    const v1Tables = await snapshotDatabase(databaseUrl);
    const v1Files = await snapshotFiles(dataDir);
    const result = await deploy(["--window", "120", "--interval", "1", "--json"], ["--version", "v2"]);
    expect(result.code, result.stderr).toBe(3);
    const outcome = JSON.parse(result.stdout.slice(result.stdout.indexOf("{\n"))) as Record<string, unknown>;
    expect(outcome).toMatchObject({ result: "rolled-back", path: "control-plane", rollbackState: "succeeded", failure: { kind: "health-checks", count: 3 } });
    expect(result.stderr).toMatch(/control plane accepted rollback/);

    // The control plane recorded it as the host's own, automatic, from deploy, on the backup deploy took.
    // The CLI ends on the agent's own report; the control plane hears it over the socket a moment later.
    const rollbackId = String(outcome.rollbackId);
    let rollback = await api(`/v1/rollbacks/${rollbackId}`);
    for (let tries = 0; rollback.state === "running" && tries < 100; tries += 1) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      rollback = await api(`/v1/rollbacks/${rollbackId}`);
    }
    expect(rollback).toMatchObject({ state: "succeeded", automatic: true, source: "deploy", requestedBy: `host:${host}`, backupId: outcome.backupId });
    expect(String(rollback.reason)).toMatch(/^rewind deploy: 3 consecutive failed health checks/);

    // What the operator wanted: v1 healthy again, with v1's data and commit.
    expect(await allHealthy()).toBe(true);
    expect(await snapshotDatabase(databaseUrl)).toEqual(v1Tables);
    expect(await snapshotFiles(dataDir)).toEqual(v1Files);
    expect(await gitHeadOf(projectDir)).toBe(v1Commit);
  });

  it("rolls back locally with --local when the deploy command itself fails", async () => {
    const v1Commit = await gitHeadOf(projectDir);
    const v1Tables = await snapshotDatabase(databaseUrl);
    const remoteBefore = ((await api("/v1/rollbacks")).rollbacks as unknown[]).length;
    const backupsBefore = (await readdir(path.join(projectDir, "backups"))).length;
    const result = await deploy(["--local", "--window", "60", "--interval", "1"], ["--version", "v2", "--exit", "7"]);
    expect(result.code, result.stderr).toBe(3);
    expect(result.stderr).toContain("deploy command exited with code 7");
    expect(result.stderr).toMatch(/rolled back to \S+ locally/);
    expect(result.stderr).toMatch(/^✓ verify +succeeded/m);
    expect(await allHealthy()).toBe(true);
    expect(await snapshotDatabase(databaseUrl)).toEqual(v1Tables);
    expect(await gitHeadOf(projectDir)).toBe(v1Commit);
    // Nothing went through the control plane this time.
    expect(((await api("/v1/rollbacks")).rollbacks as unknown[]).length).toBe(remoteBefore);
    // The backup it rolled back to is the one this deploy took first.
    expect((await readdir(path.join(projectDir, "backups"))).length).toBe(backupsBefore + 1);
    expect(await readFile(path.join(projectDir, ".last-deployment-backup"), "utf8")).toContain("BACKUP_DIR=");
  });

  it("rolls back locally when the agent is not connected, since nobody would run the control plane's rollback", async () => {
    await agent?.stop();
    const v1Commit = await gitHeadOf(projectDir);
    const v1Tables = await snapshotDatabase(databaseUrl);
    const remoteBefore = ((await api("/v1/rollbacks")).rollbacks as unknown[]).length;
    const result = await deploy(["--window", "120", "--interval", "1"], ["--version", "v2"]);
    expect(result.code, result.stderr).toBe(3);
    expect(result.stderr).toMatch(/control plane did not take the rollback \(UNAVAILABLE: the agent of deploy-test is not connected/);
    expect(result.stderr).toMatch(/3 consecutive failed health checks: .*; rolled back to \S+ locally/);
    expect(await allHealthy()).toBe(true);
    expect(await snapshotDatabase(databaseUrl)).toEqual(v1Tables);
    expect(await gitHeadOf(projectDir)).toBe(v1Commit);
    expect(((await api("/v1/rollbacks")).rollbacks as unknown[]).length).toBe(remoteBefore);
  });
});

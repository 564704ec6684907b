// The console's whole purpose, end to end: an operator on a phone rolls the demo stack back after a
// bad deploy and watches every step reach success. Real everything: Docker stack, PostgreSQL,
// the agent process, the control plane in workerd, Debian's Chromium at 390×844.
import { execFile } from "node:child_process";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import type Docker from "dockerode";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DemoImages, buildDemoImages } from "../../infra/demo-stack/images.ts";
import { type DemoStack, deployVersion, downStack, settledHealth, upStack, volumeDir } from "../../infra/demo-stack/stack.ts";
import { type AgentProcess, spawnAgent } from "../world/agent.ts";
import { type BrowserWorld, launchPhoneBrowser, openConsole, signIn } from "../world/browser.ts";
import { type ControlPlaneWorld, startControlPlane } from "../world/control-plane.ts";
import { createDemoDatabase, DEMO_DATABASE, demoRowCounts, seedMinioData } from "../world/demo-data.ts";
import { newRunId, removeLabelled, requireDocker, testLabels } from "../world/docker.ts";
import { type PgCluster, startPostgres } from "../world/postgres.ts";

const run = promisify(execFile);
const repoRoot = path.resolve(import.meta.dirname, "../..");
const rewind = path.join(repoRoot, "bin/rewind.js");
const screenshots = "artifacts/screenshots";
const runId = newRunId();
const hostName = `demo-${runId}`;
const project = `rewind-console-${runId}`;

let docker: Docker;
let images: DemoImages;
let stack: DemoStack;
let postgres: PgCluster;
let controlPlane: ControlPlaneWorld;
let agent: AgentProcess | undefined;
let browser: BrowserWorld;
let workDir: string;
let operatorToken: string;

async function cli(...args: string[]): Promise<string> {
  const { stdout } = await run(process.execPath, [rewind, ...args], { cwd: repoRoot });
  return stdout;
}

async function git(cwd: string, ...args: string[]): Promise<void> {
  await run("git", ["-c", "user.email=ci@rewind.test", "-c", "user.name=rewind test", ...args], { cwd });
}

async function apiJson(apiPath: string, init?: RequestInit): Promise<Record<string, unknown>> {
  const response = await controlPlane.api(apiPath, init);
  const body: unknown = await response.json();
  if (!response.ok || typeof body !== "object" || body === null) {
    throw new Error(`${apiPath} answered ${response.status}: ${JSON.stringify(body)}`);
  }
  return body as Record<string, unknown>;
}

async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** The project checkout at v1, the stack and data at v1, a backup taken, then the bad v2 deployed. */
async function prepareHost(): Promise<string> {
  const projectDir = path.join(workDir, "project");
  await mkdir(projectDir, { recursive: true });
  await git(projectDir, "init", "-q", "-b", "main");
  await writeFile(path.join(projectDir, "VERSION"), "v1\n");
  await git(projectDir, "add", "VERSION");
  await git(projectDir, "commit", "-q", "-m", "v1");

  stack = await upStack(docker, { project, version: "v1", labels: testLabels(runId), images });
  await seedMinioData(await volumeDir(docker, stack.minioVolume), "v1");
  await createDemoDatabase(postgres, "v1");

  const enrollment = await apiJson("/v1/enrollments", { method: "POST", body: JSON.stringify({ host: hostName }) });
  const configPath = path.join(workDir, "agent.json");
  await cli(
    "agent", "enroll", "--url", controlPlane.url, "--token", String(enrollment.token), "--host", hostName,
    "--config", configPath, "--state-dir", path.join(workDir, "state"), "--project-dir", projectDir, "--project", project,
  );
  const config = JSON.parse(await readFile(configPath, "utf8")) as Record<string, unknown> & { project: Record<string, unknown> };
  config.project = {
    ...config.project,
    infraServices: ["minio"],
    database: { adminUrl: postgres.adminUrl, name: DEMO_DATABASE, binDir: postgres.bin },
    minio: { volume: stack.minioVolume, buckets: ["schedgen"] },
    smokeChecks: [{ name: "backend", url: `${stack.urls.backend}/health`, expectStatus: 200 }],
  };
  config.thresholds = { minFreeDiskBytes: 0, healthTimeoutSeconds: 60, watchSeconds: 0, stopTimeoutSeconds: 5 };
  await writeFile(configPath, JSON.stringify(config, null, 2), { mode: 0o600 });

  await cli("backup", "--config", configPath);

  await writeFile(path.join(projectDir, "VERSION"), "v2\n");
  await git(projectDir, "commit", "-q", "-am", "v2: the bad deploy");
  stack = await deployVersion(docker, stack, "v2", images);
  return configPath;
}

beforeAll(async () => {
  docker = await requireDocker();
  workDir = await mkdtemp(path.join(tmpdir(), "rewind-console-rollback-"));
  [images, postgres, controlPlane, browser] = await Promise.all([
    buildDemoImages(docker, { runId }),
    startPostgres(),
    startControlPlane(),
    launchPhoneBrowser(),
  ]);
  operatorToken = String(
    (await apiJson("/v1/tokens", { method: "POST", body: JSON.stringify({ role: "operator", label: "console rollback test" }) })).token,
  );
  const configPath = await prepareHost();
  agent = spawnAgent(configPath);
  await waitFor("the agent to come online", async () => {
    const { hosts } = await apiJson("/v1/hosts");
    return Array.isArray(hosts) && hosts.some((host: { name?: string; online?: boolean }) => host.name === hostName && host.online === true);
  });
  await mkdir(screenshots, { recursive: true });
});

afterAll(async () => {
  await agent?.stop();
  await browser?.close();
  await controlPlane?.stop();
  await postgres?.stop();
  if (docker) {
    await downStack(docker, project, { volumes: true });
    await removeLabelled(docker, runId);
  }
  if (workDir) await rm(workDir, { recursive: true, force: true });
});

describe("rolling back from a phone", () => {
  it("an operator triggers a rollback of the demo stack and watches it reach success", async () => {
    const { page, problems } = await openConsole(browser, controlPlane.url);
    await signIn(page, operatorToken);
    const card = page.locator(`[data-host="${hostName}"]`);
    await card.waitFor();
    expect(await card.locator(".badge").textContent()).toBe("online");
    expect(await card.locator(".newest-backup").textContent()).not.toBe("none yet");
    await card.locator("[data-action=trigger]").click();

    await expect.poll(() => page.locator("#trigger-backup option").count()).toBeGreaterThan(0);
    expect(await page.locator("#trigger-backup").isDisabled()).toBe(false);
    await page.locator("#trigger-reason").fill("v2 health checks failing since the deploy");
    await page.locator("#trigger-confirm").fill(hostName);
    await page.locator("[data-action=submit]").click();

    await page.waitForURL(/#\/rollbacks\/.+/);
    const state = page.locator("#rollback-title ~ div .card-head .badge").first();
    await state.waitFor();
    await page.screenshot({ path: `${screenshots}/rollback-running.png`, fullPage: true });
    await expect.poll(() => state.getAttribute("data-state"), { timeout: 170_000, interval: 500 }).toMatch(/^(succeeded|failed|undone|cancelled|expired)$/);
    await page.screenshot({ path: `${screenshots}/rollback-succeeded.png`, fullPage: true });
    expect(await state.getAttribute("data-state")).toBe("succeeded");

    const steps = page.locator("[data-step]");
    expect(await steps.evaluateAll((items) => items.map((item) => item.getAttribute("data-step")))).toEqual(
      expect.arrayContaining(["preflight", "load-backup", "document-state", "stage", "stop-services", "swap", "revert-code", "start", "verify"]),
    );
    for (const step of ["preflight", "stage", "swap", "start", "verify"]) {
      expect(await page.locator(`[data-step="${step}"]`).getAttribute("data-state")).toBe("succeeded");
    }
    expect(await page.locator("[data-action=cancel]").count()).toBe(0);

    // What the operator came for: the stack is healthy again at v1, with v1's data.
    const health = await settledHealth(docker, { ...stack, containers: await currentContainers() });
    expect(Object.values(health).every((status) => status === "healthy")).toBe(true);
    const client = new pg.Client({ connectionString: postgres.urlFor(DEMO_DATABASE) });
    await client.connect();
    try {
      const { rows } = await client.query<{ count: string }>("SELECT count(*) FROM jobs");
      expect(Number(rows[0]?.count)).toBe(demoRowCounts.v1.jobs);
    } finally {
      await client.end();
    }
    expect(problems).toEqual([]);
  });
});

/** After a rollback the agent recreated the containers: look them up again by Compose labels. */
async function currentContainers(): Promise<DemoStack["containers"]> {
  const containers = { ...stack.containers };
  for (const service of Object.keys(containers) as (keyof DemoStack["containers"])[]) {
    const [found] = await docker.listContainers({
      all: true,
      filters: JSON.stringify({ label: [`com.docker.compose.project=${project}`, `com.docker.compose.service=${service}`] }),
    });
    if (found) containers[service] = { ...containers[service], id: found.Id };
  }
  return containers;
}

import type Docker from "dockerode";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { listProjectContainers } from "../../agent/src/host/compose.ts";
import { rollbackStepIds } from "../../shared/schemas/rollback.ts";
import { type AgentProcess, spawnAgent } from "../world/agent.ts";
import { type BrowserWorld, launchPhoneBrowser, openConsole, signIn } from "../world/browser.ts";
import { type ControlPlaneWorld, startControlPlane } from "../world/control-plane.ts";
import { requireDocker } from "../world/docker.ts";
import { type PgCluster, startPostgres } from "../world/postgres.ts";
import { gitHeadOf, prepareScenario, type Scenario, snapshotDatabase } from "./rollback-fixture.ts";
import { enrollWithCli } from "./rollbacks-helpers.ts";

const screenshots = "artifacts/screenshots";
const finalStates = /^(succeeded|failed|undone|cancelled|expired)$/;

let docker: Docker;
let cluster: PgCluster;
let scenario: Scenario;
let controlPlane: ControlPlaneWorld;
let agent: AgentProcess | undefined;
let browser: BrowserWorld;
let operatorToken: string;

async function apiJson(apiPath: string, init?: RequestInit): Promise<Record<string, unknown>> {
  const response = await controlPlane.api(apiPath, init);
  const body: unknown = await response.json();
  if (!response.ok || typeof body !== "object" || body === null) {
    throw new Error(`${apiPath} answered ${response.status}: ${JSON.stringify(body)}`);
  }
  return body as Record<string, unknown>;
}

/** Waits until the host list shows `host` online or offline (the console's own reading of the answer). */
async function waitForOnline(host: string, online = true, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { hosts } = await apiJson("/v1/hosts");
    const entry = Array.isArray(hosts) ? hosts.find((item: { name?: unknown }) => item.name === host) : undefined;
    if ((entry?.online === true || entry?.status === "online") === online) return;
    if (Date.now() > deadline) {
      const agentLog = agent?.logs().slice(-20).join("\n") ?? "";
      throw new Error(`host ${host} not ${online ? "online" : "offline"} after ${timeoutMs} ms: ${JSON.stringify(entry)}\nagent log:\n${agentLog}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

beforeAll(async () => {
  docker = await requireDocker();
  [cluster, controlPlane, browser] = await Promise.all([startPostgres(), startControlPlane(), launchPhoneBrowser()]);
  scenario = await prepareScenario(docker, cluster);
  operatorToken = String((await apiJson("/v1/tokens", { method: "POST", body: JSON.stringify({ role: "operator", label: "console rollback test" }) })).token);
  // Enroll the scenario's host as an operator would: a one-time token, then `rewind agent enroll`,
  // which keeps the scenario's project settings in the config and adds the key and control plane.
  await enrollWithCli(controlPlane, scenario.config.host, scenario.configFile);
  agent = spawnAgent(scenario.configFile);
  await waitForOnline(scenario.config.host);
});

afterAll(async () => {
  await agent?.stop();
  await browser?.close();
  await controlPlane?.stop();
  await scenario?.cleanup();
  await cluster?.stop();
});

describe("rolling back from a phone", () => {
  it("an operator triggers a rollback of the demo stack and watches it reach success", async () => {
    const host = scenario.config.host;
    const { page, problems } = await openConsole(browser, controlPlane.url);
    await signIn(page, operatorToken);
    const card = page.locator(`[data-host="${host}"]`);
    await card.waitFor();
    expect(await card.locator(".badge").textContent()).toBe("online");
    await card.locator("[data-action=trigger]").click();

    const backup = page.locator("#trigger-backup");
    await expect.poll(() => backup.isDisabled()).toBe(false);
    expect(await backup.inputValue()).toBe(scenario.manifest.backupId);
    await page.locator("#trigger-reason").fill("v2 health checks failing since the deploy");
    await page.locator("#trigger-confirm").fill(host);
    await page.locator("[data-action=submit]").click();

    await page.waitForURL(/#\/rollbacks\/.+/);
    const state = page.locator("#rollback-title ~ div .card-head [data-state]").first();
    await state.waitFor();
    await page.screenshot({ path: `${screenshots}/rollback-live.png`, fullPage: true });
    await expect.poll(() => state.getAttribute("data-state"), { timeout: 170_000, interval: 500 }).toMatch(finalStates);
    await page.screenshot({ path: `${screenshots}/rollback-done.png`, fullPage: true });
    expect(await state.getAttribute("data-state")).toBe("succeeded");

    // The nine steps, in order, all succeeded (auxiliary ones such as `watch` may follow them).
    const steps = await page
      .locator("[data-step]")
      .evaluateAll((items) => items.map((item) => [item.getAttribute("data-step"), item.getAttribute("data-state")]));
    expect(steps.filter(([step]) => (rollbackStepIds as readonly (string | null)[]).includes(step ?? null))).toEqual(
      rollbackStepIds.map((step) => [step, "succeeded"]),
    );
    expect(await page.locator(".downtime").textContent()).toMatch(/^\d/);
    expect(await page.locator("[data-action=cancel]").count()).toBe(0);
    expect(problems).toEqual([]);

    // What the operator came for: v1 running healthy, with v1's data and commit.
    const containers = await listProjectContainers(docker, scenario.config.project.name);
    expect(containers.every((container) => container.health === "healthy")).toBe(true);
    expect(await snapshotDatabase(scenario.databaseUrl)).toEqual(scenario.v1.tables);
    expect(await gitHeadOf(scenario.config.project.dir)).toBe(scenario.v1Commit);

    await page.goto(`${controlPlane.url}/#/rollbacks`);
    await page.locator("[data-rollback]").first().waitFor();
    await page.screenshot({ path: `${screenshots}/rollbacks.png`, fullPage: true });
  });

  it("a rollback queued for an offline host can be cancelled from the phone before anything runs", async () => {
    const host = scenario.config.host;
    await agent?.stop();
    await waitForOnline(host, false);
    const { page, problems } = await openConsole(browser, controlPlane.url);
    await signIn(page, operatorToken);
    await page.goto(`${controlPlane.url}/#/trigger?host=${host}`);
    await expect.poll(() => page.locator("#trigger-backup").isDisabled()).toBe(false);
    await page.locator("#trigger-reason").fill("rehearsal while the agent is down");
    await page.locator("#trigger-confirm").fill(host);
    await page.locator("[data-action=submit]").click();
    await page.waitForURL(/#\/rollbacks\/.+/);

    const state = page.locator("#rollback-title ~ div .card-head [data-state]").first();
    // The screen refreshes every 1.5 s: give each change a few refreshes to show.
    await expect.poll(() => state.getAttribute("data-state"), { timeout: 10_000 }).toBe("queued");
    await page.locator("[data-action=cancel]").click();
    await expect.poll(() => state.getAttribute("data-state"), { timeout: 10_000 }).toBe("cancelled");
    expect(await page.locator("[data-action=cancel]").count()).toBe(0);
    await page.screenshot({ path: `${screenshots}/rollback-cancelled.png`, fullPage: true });
    expect(problems).toEqual([]);
  });
});

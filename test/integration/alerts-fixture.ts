// The triggers' test world: the rollback scenario (demo stack on broken v2, a v1 backup, git) with
// its host enrolled through `rewind agent enroll` and the real agent process connected to the real
// control plane in workerd; helpers to read the API, to wait for a rollback to finish, and to build
// and deliver the fixtures' alerts for the scenario host.
import { execFile } from "node:child_process";
import path from "node:path";
import { promisify } from "node:util";
import type Docker from "dockerode";
import { expect } from "vitest";
import { isFinalRollbackState } from "../../shared/schemas/rollback-states.ts";
import { type AgentProcess, spawnAgent } from "../world/agent.ts";
import { type ControlPlaneOptions, type ControlPlaneWorld, startControlPlane } from "../world/control-plane.ts";
import { requireDocker } from "../world/docker.ts";
import { type PgCluster, startPostgres } from "../world/postgres.ts";
import { prepareScenario, type Scenario, type ScenarioOptions } from "./rollback-fixture.ts";

const run = promisify(execFile);
const repoRoot = path.resolve(import.meta.dirname, "../..");
export const rewindBin = path.join(repoRoot, "bin/rewind.js");

export type Json = Record<string, unknown>;

export interface TriggerWorld {
  docker: Docker;
  cluster: PgCluster;
  scenario: Scenario;
  controlPlane: ControlPlaneWorld;
  agent: AgentProcess;
  host: string;
  /** A fresh token of `role`, as an admin would create it. */
  token(role: "operator" | "viewer" | "auditor" | "alert-source"): Promise<string>;
  json(apiPath: string, init?: RequestInit): Promise<Json>;
  /** Resolves with the rollback once it reached a final state. */
  waitForFinal(rollbackId: string, timeoutMs?: number): Promise<Json>;
  stop(): Promise<void>;
}

type Labelled = { labels: Record<string, string>; fingerprint?: string; startsAt: string };

/** A fixture's alerts relabelled for `host`, as its Prometheus would label them, as one alert episode. */
export function alertsForHost<T extends { alerts: Labelled[]; commonLabels?: Record<string, string> }>(
  payload: T,
  host: string,
  episode: { fingerprint: string; startsAt: string },
): T {
  const relabel = (labels: Record<string, string>): Record<string, string> =>
    Object.fromEntries(Object.entries(labels).map(([name, value]) => [name, name === "host" || name === "rewind_host" ? host : value]));
  return {
    ...structuredClone(payload),
    alerts: payload.alerts.map((alert) => ({ ...structuredClone(alert), labels: relabel(alert.labels), ...episode })),
    ...(payload.commonLabels === undefined ? {} : { commonLabels: relabel(payload.commonLabels) }),
  };
}

/** Delivers an Alertmanager payload with an alert-source token; expects it to start a rollback (matching `expected`) and returns its id. */
export async function alertRollback(world: TriggerWorld, alertToken: string, payload: unknown, expected: Json = {}): Promise<string> {
  const response = await world.controlPlane.api("/v1/alerts/alertmanager", {
    method: "POST",
    headers: { authorization: `Bearer ${alertToken}` },
    body: JSON.stringify(payload),
  });
  expect(response.status).toBe(200);
  const [decision] = ((await response.json()) as { decisions: Json[] }).decisions;
  expect(decision).toMatchObject({ decision: "rollback", ...expected });
  return String(decision?.rollbackId);
}

export interface TriggerHostOptions {
  scenario?: ScenarioOptions;
  /** Changes the host (its backups, files) after the scenario is ready and before the agent starts. */
  beforeAgent?: (scenario: Scenario) => Promise<void>;
}

export async function startTriggerWorld(options: ControlPlaneOptions = {}, hostOptions: TriggerHostOptions = {}): Promise<TriggerWorld> {
  const docker = await requireDocker();
  const [cluster, controlPlane] = await Promise.all([startPostgres(), startControlPlane(options)]);
  let scenario: Scenario | undefined;
  let agent: AgentProcess | undefined;
  const stop = async (): Promise<void> => {
    await agent?.stop();
    await controlPlane.stop();
    await scenario?.cleanup();
    await cluster.stop();
  };
  try {
    scenario = await prepareScenario(docker, cluster, hostOptions.scenario);
    const current = scenario;
    await hostOptions.beforeAgent?.(current);
    const host = current.config.host;
    const json = async (apiPath: string, init?: RequestInit): Promise<Json> => {
      const response = await controlPlane.api(apiPath, init);
      const body: unknown = await response.json();
      if (!response.ok || typeof body !== "object" || body === null) {
        throw new Error(`${init?.method ?? "GET"} ${apiPath} answered ${response.status}: ${JSON.stringify(body)}`);
      }
      return body as Json;
    };
    const enrollment = await json("/v1/enrollments", { method: "POST", body: JSON.stringify({ host }) });
    await run(
      process.execPath,
      [rewindBin, "agent", "enroll", "--url", controlPlane.url, "--token", String(enrollment.token), "--host", host, "--config", current.configFile],
      { cwd: repoRoot },
    );
    agent = spawnAgent(current.configFile);
    const started = agent;
    // Online and its backup announced: an automatic rollback needs a backup the control plane knows.
    const deadline = Date.now() + 60_000;
    for (;;) {
      const { backups } = await json(`/v1/hosts/${host}/backups`);
      if (Array.isArray(backups) && backups.length > 0) break;
      if (Date.now() > deadline) throw new Error(`host ${host} announced no backup in 60 s; agent log:\n${started.logs().slice(-20).join("\n")}`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    return {
      docker,
      cluster,
      scenario: current,
      controlPlane,
      agent: started,
      host,
      token: async (role) => String((await json("/v1/tokens", { method: "POST", body: JSON.stringify({ role, label: `triggers test ${role}` }) })).token),
      json,
      async waitForFinal(rollbackId, timeoutMs = 170_000) {
        const until = Date.now() + timeoutMs;
        for (;;) {
          const rollback = await json(`/v1/rollbacks/${rollbackId}`);
          if (isFinalRollbackState(String(rollback.state))) return rollback;
          if (Date.now() > until) {
            throw new Error(
              `rollback ${rollbackId} still ${String(rollback.state)} after ${timeoutMs} ms; agent log:\n${started.logs().slice(-30).join("\n")}`,
            );
          }
          await new Promise((resolve) => setTimeout(resolve, 500));
        }
      },
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

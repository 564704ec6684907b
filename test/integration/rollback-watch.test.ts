// After a verified rollback the agent keeps watching health for `thresholds.watchSeconds` (the seed's
// "monitor for 30 minutes"): a service that turns unhealthy inside the window is reported, as a
// progress event of the watch step and in the rollback's report. Real Docker health checks.
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import type Docker from "dockerode";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { listProjectContainers } from "../../agent/src/host/compose.ts";
import type { RollbackProgress } from "../../agent/src/rollback/executor.ts";
import type { RollbackReport } from "../../agent/src/rollback/report.ts";
import { runRollback } from "../../agent/src/rollback/run-rollback.ts";
import { requireDocker } from "../world/docker.ts";
import { type PgCluster, startPostgres } from "../world/postgres.ts";
import { prepareScenario, type Scenario } from "./rollback-fixture.ts";

const run = promisify(execFile);

describe("the health watch after a rollback", () => {
  let docker: Docker;
  let cluster: PgCluster;
  let scenario: Scenario;
  let report: RollbackReport;
  const events: RollbackProgress[] = [];
  let broken: Promise<unknown> = Promise.resolve();

  beforeAll(async () => {
    docker = await requireDocker();
    cluster = await startPostgres();
    scenario = await prepareScenario(docker, cluster, { thresholds: { watchSeconds: 10 } });
    const s = scenario;
    report = await runRollback(
      s.config,
      { rollbackId: `rb-watch-${s.runId}`, backup: { kind: "manifest", dir: s.backupDir }, mode: "full", reason: "v2 health checks fail" },
      {
        docker,
        signal: new AbortController().signal,
        onProgress: (event) => {
          events.push(event);
          // The moment the rollback is verified, the restored backend loses its /health route.
          if (event.step === "verify" && event.state === "succeeded") {
            broken = listProjectContainers(docker, s.config.project.name).then((containers) => {
              const backend = containers.find((c) => c.service === "backend");
              return run("docker", ["exec", backend?.name ?? "", "rm", "/www/health"]);
            });
          }
        },
      },
    );
    await broken;
  });

  afterAll(async () => {
    await scenario?.cleanup();
    await cluster?.stop();
  });

  it("reports the service that degraded inside the window", () => {
    expect(report.error).toBeUndefined();
    expect(report.state).toBe("succeeded");
    expect(report.steps.map((s) => [s.id, s.state]).at(-1)).toEqual(["watch", "succeeded"]);
    expect(report.degraded).toEqual(["backend"]);
    const watchEvents = events.filter((e) => e.step === "watch" && e.state === "running" && e.message !== undefined);
    expect(watchEvents.map((e) => e.message)).toEqual(["backend degraded: running/unhealthy"]);
  });
});

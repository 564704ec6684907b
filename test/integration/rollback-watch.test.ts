// After a verified rollback the agent keeps watching health for `thresholds.watchSeconds` (the seed's
// "monitor for 30 minutes"): a service that turns unhealthy inside the window is reported, as a
// progress event of the watch step and in the rollback's report. Real Docker health checks.
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { listProjectContainers } from "../../agent/src/host/compose.ts";
import type { RollbackProgress } from "../../agent/src/rollback/executor.ts";
import { scenarioPerTest } from "./rollback-fixture.ts";

const run = promisify(execFile);
const world = scenarioPerTest();

describe("the health watch after a rollback", () => {
  it("reports a service that degrades inside the window", async () => {
    const s = await world.prepare({ thresholds: { watchSeconds: 10 } });
    const events: RollbackProgress[] = [];
    let broken: Promise<unknown> = Promise.resolve();
    const onProgress = (event: RollbackProgress): void => {
      events.push(event);
      // The moment the rollback is verified, the restored backend loses its /health route.
      if (event.step === "verify" && event.state === "succeeded") {
        broken = listProjectContainers(world.docker, s.config.project.name).then((containers) => {
          const backend = containers.find((c) => c.service === "backend");
          return run("docker", ["exec", backend?.name ?? "", "rm", "/www/health"]);
        });
      }
    };

    const report = await world.rollback(s, "watch", { onProgress });
    await broken;

    expect(report.state).toBe("succeeded");
    expect(report.steps.map((step) => [step.id, step.state]).at(-1)).toEqual(["watch", "succeeded"]);
    expect(report.degraded).toEqual(["backend"]);
    const watchEvents = events.filter((e) => e.step === "watch" && e.state === "running" && e.message !== undefined);
    expect(watchEvents.map((e) => e.message)).toEqual(["backend degraded: running/unhealthy"]);
  });
});

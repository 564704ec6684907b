import { describe, expect, it } from "vitest";
import { parseAgentConfig } from "../config.ts";
import { slackSeconds, stepBound } from "./step-bounds.ts";

const base = {
  host: "web-1",
  stateDir: "/var/lib/rewind",
  project: {
    name: "shop",
    dir: "/srv/shop",
    database: { adminUrl: "postgres://rewind@db/postgres", name: "shop", timeouts: { connectSeconds: 5, statementSeconds: 20, toolSeconds: 600 } },
  },
  thresholds: { healthTimeoutSeconds: 90, watchSeconds: 120, stopTimeoutSeconds: 10 },
};
const config = parseAgentConfig(base, "agent.json", "/");
const facts = { config, containers: 4 };

describe("how long a rollback step may go without a report", () => {
  it("follows the step's own configured bounds, not one setting for every step", () => {
    const session = 5 + 20;
    expect(stepBound("stop-services", "running", facts)).toEqual({ stepSeconds: 4 * 10 + slackSeconds, watchSeconds: 120 });
    expect(stepBound("swap", "running", facts).stepSeconds).toBe(session + slackSeconds);
    expect(stepBound("verify", "running", facts).stepSeconds).toBe(90 + 10 + session + slackSeconds);
    expect(stepBound("watch", "running", facts).stepSeconds).toBe(120 + slackSeconds);
    // The restore and the row counts of the staged copy: the pg tool bound, twice.
    expect(stepBound("stage", "running", facts).stepSeconds).toBe(5 * session + 600 + 600 + slackSeconds);
    // Two git calls, the Compose CLI looked up (v2, then v1), the backup's files read whole, pg_restore --list, five sessions.
    expect(stepBound("preflight", "running", facts).stepSeconds).toBe(2 * 120 + 2 * 20 + 600 + 600 + 5 * session + slackSeconds);
  });

  it("grows with the operator's timeouts and the containers to stop", () => {
    const slower = parseAgentConfig({ ...base, thresholds: { ...base.thresholds, stopTimeoutSeconds: 60 } }, "agent.json", "/");
    expect(stepBound("stop-services", "running", { config: slower, containers: 4 }).stepSeconds).toBe(4 * 60 + slackSeconds);
    expect(stepBound("stop-services", "running", { config, containers: 9 }).stepSeconds).toBe(9 * 10 + slackSeconds);
    const longRestore = parseAgentConfig(
      { ...base, project: { ...base.project, database: { ...base.project.database, timeouts: { ...base.project.database.timeouts, toolSeconds: 7200 } } } },
      "agent.json",
      "/",
    );
    expect(stepBound("stage", "running", { config: longRestore, containers: 4 }).stepSeconds).toBeGreaterThan(2 * 7200);
    expect(stepBound("swap", "running", { config: longRestore, containers: 4 })).toEqual(stepBound("swap", "running", facts));
  });

  it("without a database, waits on no PostgreSQL bound", () => {
    const { database: _none, ...project } = base.project;
    const codeOnly = parseAgentConfig({ ...base, project }, "agent.json", "/");
    expect(stepBound("swap", "running", { config: codeOnly, containers: 4 }).stepSeconds).toBe(slackSeconds);
    expect(stepBound("verify", "running", { config: codeOnly, containers: 4 }).stepSeconds).toBe(90 + 10 + slackSeconds);
  });

  it("once a step ended, covers the run's wrap-up until the next report, not the step just done", () => {
    const ended = stepBound("stage", "succeeded", facts).stepSeconds;
    expect(ended).toBe(4 * 10 + 2 * (5 + 20) + slackSeconds);
    expect(ended).toBeLessThan(stepBound("stage", "running", facts).stepSeconds);
    expect(stepBound("verify", "failed", facts).stepSeconds).toBe(ended);
  });
});

// The README's first command, run whole as a newcomer would (scripts/demo.sh runs exactly this after
// setup.sh): it must exit 0 with a timeline showing every step of the runbook passing, the automatic
// rollback's steps and downtime, where to open the console, and leave nothing behind.
import { spawn } from "node:child_process";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { requireDocker } from "../world/docker.ts";

const repoRoot = path.resolve(import.meta.dirname, "../..");

function runDemo(): Promise<{ code: number | null; output: string }> {
  const child = spawn(process.execPath, ["--import", "tsx", "scripts/demo.ts"], { cwd: repoRoot, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout.setEncoding("utf8");
  child.stderr.setEncoding("utf8");
  child.stdout.on("data", (chunk: string) => {
    output += chunk;
  });
  child.stderr.on("data", (chunk: string) => {
    output += chunk;
  });
  return new Promise((resolve) => child.once("close", (code) => resolve({ code, output })));
}

describe("bash scripts/demo.sh", () => {
  it("runs the runbook end to end, prints the timeline and the console, exits 0 and cleans up", { timeout: 300_000 }, async () => {
    const docker = await requireDocker();
    const { code, output } = await runDemo();
    expect(code, output).toBe(0);

    const timeline = output.slice(output.lastIndexOf("\nTimeline\n"));
    for (const step of [
      "start the control plane",
      "start PostgreSQL",
      "bring up the demo stack v1 with data",
      "enroll the agent",
      "back up through the control plane",
      "deploy the broken v2 with `rewind deploy`; its health checks fail 3 times",
      "automatic rollback through the control plane",
      "verify v1 is back",
      "export the audit log and verify it offline",
    ]) {
      expect(timeline).toMatch(new RegExp(`✓ +\\d+\\. ${step.replace(/[`()]/g, "\\$&")}.* \\d+(\\.\\d)? (ms|s)\\n`));
    }
    expect(timeline).toMatch(/Rollback \S+ \(automatic\): succeeded\n {4}reason: rewind deploy: 3 consecutive failed health checks/);
    for (const step of ["preflight", "load-backup", "document-state", "stage", "stop-services", "swap", "revert-code", "start", "verify"]) {
      expect(timeline).toMatch(new RegExp(`\\n {4}${step} +succeeded +\\d`));
    }
    expect(timeline).toMatch(/downtime: \d+(\.\d)? (ms|s)\n/);
    expect(output).toMatch(/rewind audit verify exited 0/);
    const consoleUrl = /open: +(http:\/\/127\.0\.0\.1:\d+)\//.exec(timeline)?.[1];
    expect(consoleUrl).toBeDefined();
    expect(timeline).toMatch(/viewer token: +rwt_\S+/);
    expect(timeline).toMatch(/operator token: +rwt_\S+/);
    expect(timeline).toContain("Demo passed.");
    expect(output).toContain("cleaned up:");
    // A clean output: no AWS SDK notice about Node.js versions (issue 16 §13).
    expect(output).not.toContain("NodeVersionSupportWarning");

    // Cleaned up: the control plane no longer answers and the demo's containers are gone.
    await expect(fetch(`${consoleUrl}/health`)).rejects.toThrow();
    const project = /project (rwdemo\w+)/.exec(output)?.[1];
    expect(project).toBeDefined();
    const left = await docker.listContainers({ all: true, filters: JSON.stringify({ label: [`com.docker.compose.project=${project}`] }) });
    expect(left).toEqual([]);
  });
});

// The deploy command's timeout, with real processes: a script that sleeps past it is killed with
// everything it started (its process group), one that ignores SIGTERM gets SIGKILL after the grace
// period, and one that finishes in time is left alone.
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { runDeployCommand } from "./run-command.ts";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "rewind-deploy-command-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe("the deploy command's timeout", () => {
  it("kills a command still running past it, with what it started in the background", async () => {
    const started = Date.now();
    const exit = await runDeployCommand(["sh", "-c", "sleep 60 & echo $! > background.pid; sleep 60"], dir, process.env, {
      timeoutSeconds: 1,
      killGraceSeconds: 5,
    });
    expect(exit).toMatchObject({ timedOut: true, signal: "SIGTERM" });
    expect(Date.now() - started).toBeLessThan(5000);
    const background = Number(await readFile(path.join(dir, "background.pid"), "utf8"));
    expect(alive(background)).toBe(false);
  });

  it("sends SIGKILL after the grace period to a command that ignores SIGTERM", async () => {
    const started = Date.now();
    const exit = await runDeployCommand(["sh", "-c", "trap '' TERM; sleep 60"], dir, process.env, { timeoutSeconds: 1, killGraceSeconds: 1 });
    expect(exit).toMatchObject({ timedOut: true, signal: "SIGKILL" });
    expect(Date.now() - started).toBeGreaterThanOrEqual(2000);
    expect(Date.now() - started).toBeLessThan(6000);
  });

  it("leaves a command that finishes in time alone, with its exit code", async () => {
    expect(await runDeployCommand(["sh", "-c", "sleep 0.2; exit 3"], dir, process.env, { timeoutSeconds: 5, killGraceSeconds: 1 })).toEqual({
      exitCode: 3,
      signal: null,
      timedOut: false,
    });
  });
});

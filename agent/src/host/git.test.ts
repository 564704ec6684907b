// git calls have a deadline and honour cancellation: a git that hangs (here: waiting on a stdin
// nobody closes, as a lock or a hung disk would) is stopped and reported, typed.
import { execFile } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterEach, describe, expect, it } from "vitest";
import { runGit } from "./git.ts";

const roots: string[] = [];
afterEach(async () => {
  for (const root of roots.splice(0)) await rm(root, { recursive: true, force: true });
});

async function repo(): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), "rewind-git-timeout-"));
  roots.push(dir);
  await promisify(execFile)("git", ["-C", dir, "init", "-q"]);
  return dir;
}

describe("runGit", () => {
  it("stops a git that does not finish in time, as STEP_FAILED naming the command", async () => {
    const dir = await repo();
    const started = Date.now();
    await expect(runGit(dir, ["hash-object", "--stdin"], { timeoutMs: 300 })).rejects.toMatchObject({
      code: "STEP_FAILED",
      message: expect.stringContaining("git hash-object --stdin in"),
    });
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it("stops a git when the step is cancelled, as CANCELLED", async () => {
    const dir = await repo();
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 200);
    await expect(runGit(dir, ["hash-object", "--stdin"], { signal: controller.signal })).rejects.toMatchObject({ code: "CANCELLED" });
  });

  it("reports what git said when it refuses", async () => {
    const dir = await repo();
    await expect(runGit(dir, ["rev-parse", "--verify", "no-such-ref"])).rejects.toMatchObject({ code: "PRECONDITION_FAILED" });
  });
});

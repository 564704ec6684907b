// revert-code and its undo against a real git checkout: hooks and fsmonitor never run, an ignored
// `.env` the old commit tracks is kept and put back, and the undo pops the stash it made.
import { execFile } from "node:child_process";
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterEach, describe, expect, it } from "vitest";
import { parseAgentConfig } from "../../config.ts";
import type { DocumentedState, StepContext } from "../step-context.ts";
import { restoreCode, revertCode } from "./revert-code.ts";

const run = promisify(execFile);
const roots: string[] = [];
afterEach(async () => {
  for (const root of roots.splice(0)) await rm(root, { recursive: true, force: true });
});

async function git(dir: string, ...args: string[]): Promise<string> {
  return (await run("git", ["-C", dir, "-c", "user.name=t", "-c", "user.email=t@example.com", ...args])).stdout.trim();
}

const exists = (file: string): Promise<boolean> =>
  readFile(file).then(
    () => true,
    () => false,
  );

/** Old commit tracks .env; the new one ignores it; hooks and an fsmonitor command would leave markers. */
async function checkout(): Promise<{ root: string; dir: string; old: string; current: string; markers: string[] }> {
  const root = await mkdtemp(path.join(tmpdir(), "rewind-git-"));
  roots.push(root);
  const dir = path.join(root, "project");
  await mkdir(dir);
  await git(dir, "init", "-q", "-b", "main");
  await writeFile(path.join(dir, ".env"), "SECRET=old\n");
  await writeFile(path.join(dir, "app.txt"), "v1\n");
  await git(dir, "add", "-A");
  await git(dir, "commit", "-q", "-m", "v1 tracks .env");
  const old = await git(dir, "rev-parse", "HEAD");
  await git(dir, "rm", "-q", "--cached", ".env");
  await writeFile(path.join(dir, ".gitignore"), ".env\n");
  await writeFile(path.join(dir, "app.txt"), "v2\n");
  await git(dir, "add", "-A");
  await git(dir, "commit", "-q", "-m", "v2 ignores .env");
  const current = await git(dir, "rev-parse", "HEAD");
  // The operator's live secrets, and an uncommitted edit of a tracked file.
  await writeFile(path.join(dir, ".env"), "SECRET=current\n");
  await writeFile(path.join(dir, "app.txt"), "v2 + hotfix\n");

  const markers = ["hook-ran", "fsmonitor-ran"].map((m) => path.join(root, m));
  const hook = `#!/bin/sh\ntouch ${markers[0]}\n`;
  for (const name of ["post-checkout", "pre-auto-gc", "reference-transaction"]) {
    await writeFile(path.join(dir, ".git", "hooks", name), hook);
    await chmod(path.join(dir, ".git", "hooks", name), 0o755);
  }
  const monitor = path.join(root, "fsmonitor.sh");
  await writeFile(monitor, `#!/bin/sh\ntouch ${markers[1]}\n`);
  await chmod(monitor, 0o755);
  await git(dir, "config", "core.fsmonitor", monitor);
  return { root, dir, old, current, markers };
}

function context(root: string, dir: string, old: string): StepContext {
  const config = parseAgentConfig({ host: "git-test", stateDir: path.join(root, "state"), project: { name: "gittest", dir } }, "test", root);
  const backup = { source: "commit" as const, dir, timestamp: "20260101_000000", commit: old, branch: "main", services: [] };
  return {
    config,
    request: { rollbackId: "rb-git-0001", backup: { kind: "last" }, mode: "code-only", reason: "test" },
    docker: undefined as never,
    signal: new AbortController().signal,
    dir: path.join(root, "state", "rollbacks", "rb-git-0001"),
    progress: () => undefined,
    outputs: { "load-backup": { target: { backup, commit: old, branch: "main", images: {} } } },
  };
}

describe("revert-code on a real checkout", () => {
  it("runs no hook or fsmonitor, keeps the ignored .env the old commit tracks, and the undo puts everything back", { timeout: 30_000 }, async () => {
    const { root, dir, old, current, markers } = await checkout();
    const ctx = context(root, dir, old);

    const output = await revertCode(ctx);
    expect(output).toMatchObject({ commit: old, stashed: true, kept: [".env"] });
    expect(await readFile(path.join(dir, ".env"), "utf8")).toBe("SECRET=old\n");
    expect(await readFile(path.join(ctx.dir, "kept-files", ".env"), "utf8")).toBe("SECRET=current\n");

    const documented: DocumentedState = { commit: current, branch: "main", containers: [], images: {}, logsDir: ctx.dir };
    const actions = await restoreCode(ctx, documented);
    expect(actions.join("; ")).toContain(".env restored");
    expect(await git(dir, "rev-parse", "HEAD")).toBe(current);
    expect(await readFile(path.join(dir, ".env"), "utf8")).toBe("SECRET=current\n");
    expect(await readFile(path.join(dir, "app.txt"), "utf8")).toBe("v2 + hotfix\n");
    expect(await git(dir, "stash", "list")).toBe("");

    for (const marker of markers) expect({ marker, ran: await exists(marker) }).toEqual({ marker, ran: false });
    // The hook and the fsmonitor command are real: plain git runs them.
    await git(dir, "tag", "hook-proof");
    await git(dir, "status", "--porcelain");
    for (const marker of markers) expect({ marker, ran: await exists(marker) }).toEqual({ marker, ran: true });
  });

  it("an undo that cannot read the kept copies fails, instead of ending without the operator's .env", { timeout: 30_000 }, async () => {
    const { root, dir, old, current } = await checkout();
    const ctx = context(root, dir, old);
    expect(await revertCode(ctx)).toMatchObject({ kept: [".env"] });
    // Not a directory any more: only a missing one means nothing was kept.
    const kept = path.join(ctx.dir, "kept-files");
    await rm(kept, { recursive: true });
    await writeFile(kept, "damaged\n");
    const documented: DocumentedState = { commit: current, branch: "main", containers: [], images: {}, logsDir: ctx.dir };
    await expect(restoreCode(ctx, documented)).rejects.toThrow(/ENOTDIR/);
  });
});

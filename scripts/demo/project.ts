// The demo application's git checkout: each release commits its VERSION, every service's build
// context (Dockerfile and files) and the compose.yaml Compose runs it from, as a compose project
// keeps them, so a rollback can revert the code and its configuration.
import { execFile } from "node:child_process";
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";
import { writeProjectSources } from "../../infra/demo-stack/images.ts";
import type { DemoVersion } from "../../infra/demo-stack/services.ts";
import { type DemoStack, writeComposeFile } from "../../infra/demo-stack/stack.ts";

const run = promisify(execFile);

export async function git(dir: string, ...args: string[]): Promise<string> {
  const { stdout } = await run("git", ["-C", dir, ...args]);
  return stdout.trim();
}

/** A fresh repository on `main` that ignores what Rewind writes into the checkout. */
export async function initProject(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  await git(dir, "init", "-q", "-b", "main");
  await writeFile(path.join(dir, ".gitignore"), "backups/\n.last-deployment-backup\n");
}

/**
 * Writes `version`'s sources and, for a running stack, its compose.yaml (the first release gets
 * its compose.yaml from `upStack`, which renders it with the ports it could publish).
 */
export async function writeRelease(dir: string, version: DemoVersion, stack?: DemoStack): Promise<void> {
  await writeProjectSources(dir, version);
  if (stack !== undefined) await writeComposeFile(stack, version);
}

/** Commits the checkout as "release <version>"; returns the commit id. */
export async function commitRelease(dir: string, version: DemoVersion): Promise<string> {
  await git(dir, "add", "-A");
  await git(dir, "-c", "user.name=Rewind demo", "-c", "user.email=demo@rewind.invalid", "commit", "-q", "-m", `release ${version}`);
  return git(dir, "rev-parse", "HEAD");
}

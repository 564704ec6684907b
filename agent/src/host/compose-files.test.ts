// The configured compose files on real git and a real file system: as the target commit's tree has
// them (preflight, before any downtime) and as the checkout has them when Compose runs.
import { execFile } from "node:child_process";
import { mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterEach, describe, expect, it } from "vitest";
import { type ComposeCli, composeArgs } from "./compose-cli.ts";
import { checkedComposeFiles, composeFilesProblemAt, composeRunOptions, mayUseComposeAt } from "./compose-files.ts";

const run = promisify(execFile);
const roots: string[] = [];
afterEach(async () => {
  for (const root of roots.splice(0)) await rm(root, { recursive: true, force: true });
});

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), "rewind-compose-files-"));
  roots.push(dir);
  return dir;
}

async function git(dir: string, ...args: string[]): Promise<string> {
  return (await run("git", ["-C", dir, "-c", "user.name=t", "-c", "user.email=t@example.com", ...args])).stdout.trim();
}

async function commitAll(dir: string): Promise<string> {
  await git(dir, "add", "-A");
  await git(dir, "commit", "-q", "-m", "release");
  return git(dir, "rev-parse", "HEAD");
}

const v1: ComposeCli = { flavor: "v1", file: "docker-compose", prefix: [], version: "1.29.2" };
const v2: ComposeCli = { flavor: "v2", file: "docker", prefix: ["compose"], version: "2.24.5" };

describe("compose arguments", () => {
  it("pass -f for each configured file, in order, before the subcommand, for either flavour", () => {
    expect(composeArgs(v1, "app", ["up", "-d"], ["compose.yaml", "compose.prod.yaml"])).toEqual([
      "-f",
      "compose.yaml",
      "-f",
      "compose.prod.yaml",
      "--project-name",
      "app",
      "up",
      "-d",
    ]);
    expect(composeArgs(v2, "app", ["config", "--services"], ["compose.yaml"])).toEqual([
      "compose",
      "-f",
      "compose.yaml",
      "--project-name",
      "app",
      "config",
      "--services",
    ]);
  });

  it("pass no -f without configured files: Compose's default names and override rule stay", () => {
    expect(composeArgs(v1, "app", ["up", "-d"])).toEqual(["--project-name", "app", "up", "-d"]);
    expect(composeArgs(v2, "app", ["up", "-d"])).toEqual(["compose", "--project-name", "app", "up", "-d"]);
  });
});

describe("the configured files in the target commit", () => {
  it("are found there, in a project directory below the repository's top too", async () => {
    const top = await tempDir();
    await git(top, "init", "-q");
    const dir = path.join(top, "srv");
    await mkdir(path.join(dir, "ops"), { recursive: true });
    await writeFile(path.join(dir, "compose.yaml"), "services: {}\n");
    await writeFile(path.join(dir, "ops", "prod.yaml"), "services: {}\n");
    const commit = await commitAll(top);
    expect(await composeFilesProblemAt(dir, commit, ["compose.yaml", "ops/prod.yaml"])).toBeUndefined();
  });

  it("name a file the commit does not have, even when the working tree has it", async () => {
    const dir = await tempDir();
    await git(dir, "init", "-q");
    await writeFile(path.join(dir, "compose.yaml"), "services: {}\n");
    const old = await commitAll(dir);
    await writeFile(path.join(dir, "compose.prod.yaml"), "services: {}\n");
    await commitAll(dir);
    expect(await composeFilesProblemAt(dir, old, ["compose.yaml", "compose.prod.yaml"])).toMatch(
      new RegExp(`compose file compose\\.prod\\.yaml \\(project\\.composeFiles\\) is not in commit ${old.slice(0, 12)}`),
    );
  });

  it("count a host-only file git never tracked (the checkout leaves it), not one only the current commit tracks", async () => {
    const root = await tempDir();
    const dir = path.join(root, "project");
    await mkdir(dir);
    await git(dir, "init", "-q");
    await writeFile(path.join(dir, ".gitignore"), "compose.local.yaml\nescape.yaml\n");
    await writeFile(path.join(dir, "compose.yaml"), "services: {}\n");
    const old = await commitAll(dir);
    await writeFile(path.join(dir, "compose.prod.yaml"), "services: {}\n");
    await commitAll(dir);
    await writeFile(path.join(dir, "compose.local.yaml"), "services: {}\n");
    await writeFile(path.join(root, "outside.yaml"), "services: {}\n");
    await symlink("../outside.yaml", path.join(dir, "escape.yaml"));
    expect(await composeFilesProblemAt(dir, old, ["compose.yaml", "compose.local.yaml"])).toBeUndefined();
    expect(await composeFilesProblemAt(dir, old, ["compose.yaml", "compose.prod.yaml"])).toMatch(
      /compose\.prod\.yaml .* is not in commit .*, nor kept untracked/,
    );
    expect(await composeFilesProblemAt(dir, old, ["escape.yaml"])).toMatch(/compose file escape\.yaml \(project\.composeFiles\) leads outside/);
  });

  it("tell that Compose may start a release whose commit has a default-named file the working tree lacks", async () => {
    const dir = await tempDir();
    await git(dir, "init", "-q");
    await writeFile(path.join(dir, "docker-compose.yml"), "services: {}\n");
    const old = await commitAll(dir);
    await git(dir, "rm", "-q", "docker-compose.yml");
    await writeFile(path.join(dir, "README"), "no compose here\n");
    const current = await commitAll(dir);
    expect(await mayUseComposeAt({ name: "app", dir }, old)).toBe(true);
    expect(await mayUseComposeAt({ name: "app", dir }, current)).toBe(false);
    expect(await mayUseComposeAt({ name: "app", dir, composeFiles: ["x.yaml"] }, current)).toBe(true);
  });

  it("refuse a directory and a symlink leading out of the project directory", async () => {
    const dir = await tempDir();
    await git(dir, "init", "-q");
    await mkdir(path.join(dir, "deploy"));
    await writeFile(path.join(dir, "deploy", "x.yaml"), "services: {}\n");
    await symlink("../../etc/compose.yaml", path.join(dir, "deploy", "out.yaml"));
    await symlink("x.yaml", path.join(dir, "deploy", "in.yaml"));
    const commit = await commitAll(dir);
    expect(await composeFilesProblemAt(dir, commit, ["deploy"])).toMatch(/deploy \(project\.composeFiles\) is a directory in commit/);
    expect(await composeFilesProblemAt(dir, commit, ["deploy/out.yaml"])).toMatch(/is a symbolic link to \.\.\/\.\.\/etc\/compose\.yaml in commit .*outside/);
    expect(await composeFilesProblemAt(dir, commit, ["deploy/in.yaml"])).toBeUndefined();
  });
});

describe("the configured files on disk when Compose runs", () => {
  it("are passed as configured when each is a file inside the project directory", async () => {
    const dir = await tempDir();
    await writeFile(path.join(dir, "compose.yaml"), "services: {}\n");
    await symlink("compose.yaml", path.join(dir, "compose.prod.yaml"));
    const project = { name: "app", dir, composeFiles: ["compose.yaml", "compose.prod.yaml"] };
    expect(await composeRunOptions(project, 1000)).toEqual({
      projectDir: dir,
      projectName: "app",
      timeoutMs: 1000,
      files: ["compose.yaml", "compose.prod.yaml"],
    });
    expect(await composeRunOptions({ name: "app", dir }, 1000)).toEqual({ projectDir: dir, projectName: "app", timeoutMs: 1000 });
  });

  it("refuse a missing file, one a symlink leads out of the project directory, and a symlink loop", async () => {
    const root = await tempDir();
    const dir = path.join(root, "project");
    await mkdir(dir);
    await writeFile(path.join(root, "outside.yaml"), "services: {}\n");
    await symlink("../outside.yaml", path.join(dir, "compose.prod.yaml"));
    await expect(checkedComposeFiles(dir, ["compose.yaml"])).rejects.toMatchObject({
      code: "STEP_FAILED",
      message: `compose file compose.yaml (project.composeFiles) is missing in ${dir}`,
    });
    await expect(checkedComposeFiles(dir, ["compose.prod.yaml"])).rejects.toMatchObject({
      code: "STEP_FAILED",
      message: expect.stringContaining(`compose file compose.prod.yaml (project.composeFiles) leads outside ${dir}`),
    });
    await symlink("loop.yaml", path.join(dir, "loop.yaml"));
    await expect(checkedComposeFiles(dir, ["loop.yaml"])).rejects.toMatchObject({
      code: "STEP_FAILED",
      message: expect.stringContaining("cannot tell where compose file loop.yaml (project.composeFiles) really leads"),
    });
  });
});

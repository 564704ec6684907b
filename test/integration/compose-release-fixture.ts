// A real Compose project across a release that changed compose.yaml, run by the host's Compose CLI
// (`docker compose` or Debian's docker-compose 1.29): v1 up, a Rewind backup, then v2 deployed the
// seed's way (`down`, then `up -d --build`). v2 changes web's env value, adds `extra`, removes
// `legacy` and its `backoffice` network, and changes the app image; `migrate` is a one-shot job both
// releases run; with `v1Setup`, v1 also has `setup`, a one-shot job (restart "no") that v2 dropped.
// Images are built by Compose from the project's own build context, in its long form (context ./app,
// dockerfile Containerfile: nothing a `<service>/Dockerfile` lookup would find; busybox-static FROM scratch).
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import type Docker from "dockerode";
import { BUSYBOX } from "../../infra/demo-stack/images.ts";
import { runBackup } from "../../agent/src/backup/run-backup.ts";
import type { AgentConfig } from "../../agent/src/config.ts";
import { parseAgentConfig } from "../../agent/src/config.ts";
import { listProjectContainers, type ProjectContainer } from "../../agent/src/host/compose.ts";
import { type ComposeCli, requireComposeCli, runCompose } from "../../agent/src/host/compose-cli.ts";
import { volumeDataDir } from "../../agent/src/host/volume.ts";
import type { BackupManifest } from "../../shared/schemas/manifest.ts";
import { newRunId, RUN_LABEL, removeLabelled, TEST_LABEL } from "../world/docker.ts";

const run = promisify(execFile);

export type Release = "v1" | "v2";

export interface ComposeRelease {
  runId: string;
  project: string;
  root: string;
  config: AgentConfig;
  cli: ComposeCli;
  backupDir: string;
  manifest: BackupManifest;
  v1Commit: string;
  compose(...args: string[]): Promise<{ stdout: string; stderr: string }>;
  containers(): Promise<ProjectContainer[]>;
  /** How many times the one-shot `migrate` job has run (it appends a line to the data volume). */
  migrateRuns(): Promise<number>;
  cleanup(): Promise<void>;
}

export interface ComposeReleaseOptions {
  /** v1 has a one-shot `setup` job (restart "no", exits 0) that v2 no longer has. */
  v1Setup?: boolean;
  /**
   * The host runs `-f compose.yaml -f compose.prod.yaml` (project.composeFiles): the override sets
   * web's GREETING and a `tier` label to `prod-<release>`; in both releases, or added by v2 only.
   */
  prodOverride?: "both" | "v2";
}

export const composeFiles = ["compose.yaml", "compose.prod.yaml"];

function prodOverride(release: Release): string {
  return `services:\n  web:\n    environment:\n      GREETING: prod-${release}\n    labels:\n      rewind.test.tier: prod-${release}\n`;
}

function composeFile(release: Release, runId: string, options: ComposeReleaseOptions): string {
  const labels = `{ ${TEST_LABEL}: "1", ${RUN_LABEL}: "${runId}" }`;
  const service = (command: string, extra = ""): string =>
    `    build:\n      context: ./app\n      dockerfile: Containerfile\n    init: true\n    labels: ${labels}\n    command: ["sh", "-c", ${JSON.stringify(command)}]\n${extra}`;
  const web = `${service("cat /VERSION; echo greeting=$$GREETING; exec sleep 100000", `    environment:\n      GREETING: hello-${release}\n    healthcheck:\n      test: ["CMD", "true"]\n      interval: 1s\n`)}`;
  const parts = [
    "services:",
    `  web:\n${web}`,
    `  migrate:\n${service("echo ran >> /data/runs", '    restart: "no"\n    volumes: ["data:/data"]\n')}`,
    ...(release === "v1" && options.v1Setup ? [`  setup:\n${service("echo set up", '    restart: "no"\n')}`] : []),
    release === "v1" ? `  legacy:\n${service("exec sleep 100000", "    networks: [default, backoffice]\n")}` : `  extra:\n${service("exec sleep 100000")}`,
    `networks:\n  default:\n    labels: ${labels}${release === "v1" ? `\n  backoffice:\n    labels: ${labels}` : ""}`,
    `volumes:\n  data:\n    labels: ${labels}`,
  ];
  return `${parts.join("\n")}\n`;
}

async function writeRelease(dir: string, release: Release, runId: string, options: ComposeReleaseOptions): Promise<void> {
  await mkdir(path.join(dir, "app"), { recursive: true });
  await copyFile(BUSYBOX, path.join(dir, "app", "busybox"));
  await writeFile(path.join(dir, "app", "VERSION"), `app ${release}\n`);
  await writeFile(
    path.join(dir, "app", "Containerfile"),
    [
      "FROM scratch",
      // First, so no build step's cache is shared with other runs' images (their cleanup would pull it away mid-build).
      `LABEL ${TEST_LABEL}=1 ${RUN_LABEL}=${runId}`,
      "COPY busybox /bin/busybox",
      'RUN ["/bin/busybox", "--install", "-s", "/bin"]',
      'RUN ["/bin/sh", "-c", "mkdir -p /tmp /data && chmod 1777 /tmp"]',
      "COPY VERSION /VERSION",
      "",
    ].join("\n"),
  );
  await writeFile(path.join(dir, "compose.yaml"), composeFile(release, runId, options));
  if (options.prodOverride === "both" || (options.prodOverride === "v2" && release === "v2")) {
    await writeFile(path.join(dir, "compose.prod.yaml"), prodOverride(release));
  }
}

async function git(dir: string, ...args: string[]): Promise<string> {
  return (await run("git", ["-C", dir, ...args])).stdout.trim();
}

async function commit(dir: string, message: string): Promise<string> {
  await git(dir, "add", "-A");
  await git(dir, "-c", "user.name=test", "-c", "user.email=test@example.com", "commit", "-q", "-m", message);
  return git(dir, "rev-parse", "HEAD");
}

/** Waits until the one-shot job's container has exited (Compose's `up -d` returns once it started). */
async function migrateExited(docker: Docker, project: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const migrate = (await listProjectContainers(docker, project)).find((c) => c.service === "migrate");
    if (migrate?.state === "exited") return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error("the migrate job did not exit");
}

export async function prepareComposeRelease(docker: Docker, options: ComposeReleaseOptions = {}): Promise<ComposeRelease> {
  const cli = await requireComposeCli();
  const runId = newRunId();
  const project = `rwcc${runId}`;
  const root = await mkdtemp(path.join(tmpdir(), "rewind-compose-release-"));
  const dir = path.join(root, "project");
  await mkdir(dir);
  await git(dir, "init", "-q", "-b", "main");
  await writeFile(path.join(dir, ".gitignore"), "app/busybox\n");
  // The configured files the checkout has now, as the host's own deploy script would pass them.
  const files = async (): Promise<string[]> => (options.prodOverride ? composeFiles.filter((file) => existsSync(path.join(dir, file))) : []);
  const compose = async (...args: string[]) => runCompose(cli, { projectDir: dir, projectName: project, files: await files(), timeoutMs: 300_000 }, args);
  const containers = () => listProjectContainers(docker, project);
  const cleanup = async (): Promise<void> => {
    await compose("down", "--volumes", "--remove-orphans").catch(() => undefined);
    // One at a time: this run's images share parents, and removing two of a chain at once races in
    // the engine ("unrecognized image ID").
    const images = await docker.listImages({ filters: JSON.stringify({ label: [`${RUN_LABEL}=${runId}`] }) });
    for (const image of images) {
      await docker
        .getImage(image.Id)
        .remove({ force: true })
        .catch((error: { statusCode?: number }) => {
          if (error.statusCode !== 404) throw error;
        });
    }
    await removeLabelled(docker, runId);
    await rm(root, { recursive: true, force: true });
  };
  try {
    await writeRelease(dir, "v1", runId, options);
    const v1Commit = await commit(dir, "release v1");
    await compose("up", "-d", "--build");
    await migrateExited(docker, project);
    const raw = {
      host: "compose-release-test",
      stateDir: path.join(root, "state"),
      project: {
        name: project,
        dir,
        backupsDir: path.join(root, "backups"),
        infraServices: [],
        ...(options.prodOverride ? { composeFiles } : {}),
      },
      thresholds: { minFreeDiskBytes: 1024 ** 2, healthTimeoutSeconds: 60, watchSeconds: 0, stopTimeoutSeconds: 2 },
      log: { format: "pretty" },
    };
    const config = parseAgentConfig(raw, path.join(root, "agent.json"), root);
    const backup = await runBackup(config, { docker, onProgress: () => undefined });

    // The seed's deploy: `down` (v1's containers and networks go, volumes stay), then v2 `up`.
    await compose("down");
    await writeRelease(dir, "v2", runId, options);
    await commit(dir, "release v2");
    await compose("up", "-d", "--build");
    await migrateExited(docker, project);
    return {
      runId,
      project,
      root,
      config,
      cli,
      backupDir: backup.dir,
      manifest: backup.manifest,
      v1Commit,
      compose,
      containers,
      async migrateRuns() {
        const volume = `${project}_data`;
        return (await readFile(path.join(await volumeDataDir(docker, volume), "runs"), "utf8")).trim().split("\n").length;
      },
      cleanup,
    };
  } catch (error) {
    await cleanup();
    throw error;
  }
}

// The local demo (the README's first command): the whole runbook on this machine. A control plane in
// workerd, an enrolled agent, the demo stack v1 with data, a backup through the control plane, a
// broken v2 shipped with `rewind deploy`, the automatic rollback, checks that v1 and its data are
// back, and the audit log verified offline. Prints a timeline; exits non-zero if any of it fails.
// `--keep` leaves everything running for a look at the console until Ctrl-C; Ctrl-C cleans up.
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { GetObjectCommand } from "@aws-sdk/client-s3";
import { buildDemoImages } from "../infra/demo-stack/images.ts";
import { appServices, DEMO_BUCKET, demoServices } from "../infra/demo-stack/services.ts";
import { type DemoStack, downStack, settledHealth, upStack, volumeDir } from "../infra/demo-stack/stack.ts";
import { isRewindError, RewindError } from "../shared/errors.ts";
import { backupManifest } from "../shared/schemas/manifest.ts";
import { snapshotDatabase, snapshotFiles } from "../test/integration/rollback-fixture.ts";
import { type AgentProcess, spawnAgent } from "../test/world/agent.ts";
import { type ControlPlaneWorld, startControlPlane } from "../test/world/control-plane.ts";
import { createDemoDatabase, seedMinioData } from "../test/world/demo-data.ts";
import { newRunId, removeLabelled, requireDocker, testLabels } from "../test/world/docker.ts";
import { type PgCluster, startPostgres } from "../test/world/postgres.ts";
import { type S3World, startS3 } from "../test/world/s3.ts";
import { ControlPlaneApi, type RollbackDetail, waitUntil } from "./demo/api.ts";
import { Cleanup } from "./demo/cleanup.ts";
import type { DeployState } from "./demo/deploy-state.ts";
import { commitRelease, initProject, writeRelease } from "./demo/project.ts";
import { differences, type Expected, readHostState, summarize } from "./demo/restored-state.ts";
import { type CliRun, parseDeployOutcome, runRewind } from "./demo/rewind-cli.ts";
import { type ConsoleAccess, formatDuration, formatEntry, formatSummary, type TimelineEntry } from "./demo/timeline.ts";

const usage = `usage: bash scripts/demo.sh [--keep]

Runs Rewind's runbook end to end on this machine and prints a timeline. --keep leaves the control
plane, agent and demo stack running afterwards (for a look at the console) until Ctrl-C.
`;

const { values: flags } = parseArgs({ options: { keep: { type: "boolean", default: false }, help: { type: "boolean", short: "h" } } });
if (flags.help === true) {
  process.stdout.write(usage);
  process.exit(0);
}

// Node 20 is supported here; the AWS SDK's documented switch keeps its end-of-support notice out of the
// demo's output (the agent and CLI processes the demo starts inherit it).
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";

const HOST = "demo-host";
const out = (text: string): void => {
  process.stdout.write(`${text}\n`);
};

const interrupt = new AbortController();
let interrupts = 0;
const onSignal = (signal: NodeJS.Signals): void => {
  interrupts += 1;
  if (interrupts > 1) {
    out(`\n${signal} again: exiting without finishing the cleanup (leftovers carry the label rewind.test=1)`);
    process.exit(130);
  }
  out(`\n${signal}: stopping and cleaning up…`);
  interrupt.abort();
};
process.on("SIGINT", onSignal);
process.on("SIGTERM", onSignal);

const cleanup = new Cleanup();
const entries: TimelineEntry[] = [];
const startedAt = Date.now();

function checkInterrupted(): void {
  if (interrupt.signal.aborted) throw new RewindError("CANCELLED", "interrupted");
}

/** Runs one timed step of the demo and prints its line as soon as it ends. */
async function step<T>(label: string, body: (note: (detail: string) => void) => Promise<T>): Promise<T> {
  checkInterrupted();
  const details: string[] = [];
  const began = performance.now();
  const record = (ok: boolean, extra?: string): void => {
    const detail = [...details, ...(extra === undefined ? [] : [extra])].join("\n");
    const entry: TimelineEntry = { label, durationMs: performance.now() - began, ok, ...(detail === "" ? {} : { detail }) };
    entries.push(entry);
    out(formatEntry(entries.length, entry));
  };
  try {
    const value = await body((detail) => details.push(detail));
    record(true);
    checkInterrupted();
    return value;
  } catch (error) {
    if (!(isRewindError(error, "CANCELLED") && interrupt.signal.aborted)) record(false, error instanceof Error ? error.message : String(error));
    throw error;
  }
}

type Listeners = NodeJS.SignalsListener[];

/**
 * Miniflare installs SIGINT/SIGTERM handlers that exit the process at once (its exit hook); the demo
 * must stop the agent and remove containers, volumes and the PostgreSQL cluster first, so it keeps
 * the signals to itself and disposes the control plane in its own cleanup.
 */
function keepSignalsForTheDemo(before: { SIGINT: Listeners; SIGTERM: Listeners }): void {
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    for (const listener of process.listeners(signal) as Listeners) {
      if (!before[signal].includes(listener)) process.off(signal, listener);
    }
  }
}

interface Services {
  s3: S3World;
  controlPlane: ControlPlaneWorld;
  api: ControlPlaneApi;
  offsiteBucket: string;
}

async function startServices(): Promise<Services> {
  const s3 = await startS3();
  cleanup.add("S3 server", () => s3.stop());
  const offsiteBucket = "rewind-offsite";
  await s3.createBucket(offsiteBucket);
  const before = { SIGINT: process.listeners("SIGINT"), SIGTERM: process.listeners("SIGTERM") };
  const controlPlane = await startControlPlane({ s3 });
  keepSignalsForTheDemo(before);
  cleanup.add("control plane", () => controlPlane.stop());
  return { s3, controlPlane, api: new ControlPlaneApi(controlPlane.url, controlPlane.adminToken), offsiteBucket };
}

interface Project {
  root: string;
  dir: string;
  name: string;
  runId: string;
  databaseUrl: string;
  stack: DemoStack;
  minioDir: string;
  v1Commit: string;
}

async function bringUpV1(docker: Awaited<ReturnType<typeof requireDocker>>, cluster: PgCluster): Promise<Project> {
  const runId = newRunId();
  const name = `rwdemo${runId}`;
  const root = await mkdtemp(path.join(tmpdir(), "rewind-demo-"));
  cleanup.add("demo directory", () => rm(root, { recursive: true, force: true }));
  const dir = path.join(root, "project");
  await initProject(dir);
  await writeRelease(dir, "v1");
  const databaseUrl = await createDemoDatabase(cluster, "v1");
  let stack: DemoStack | undefined;
  cleanup.add("demo stack", async () => {
    if (stack !== undefined) await downStack(stack);
    // Whatever `compose down` did not remove still carries the run's label.
    await removeLabelled(docker, runId);
    // The backup tagged the shared demo images rewind-keep/<project>/… so a prune keeps them: untag those.
    const kept = await docker.listImages({ filters: JSON.stringify({ reference: [`rewind-keep/${name}/*`, `rewind-rebuild/${name}-*`] }) });
    for (const tag of kept.flatMap((image) => image.RepoTags ?? []).filter((t) => t.includes(name))) {
      await docker.getImage(tag).remove({ noprune: true });
    }
  });
  // A real Compose runs v1 from the compose.yaml the first commit holds (build contexts included).
  stack = await upStack(docker, { project: name, version: "v1", labels: testLabels(runId), dir, buildContexts: true });
  const v1Commit = await commitRelease(dir, "v1");
  const minioDir = await volumeDir(docker, stack.minioVolume);
  await seedMinioData(minioDir, "v1");
  const health = await settledHealth(docker, stack);
  const unhealthy = Object.entries(health).filter(([, status]) => status !== "healthy");
  if (unhealthy.length > 0) throw new RewindError("UNAVAILABLE", `v1 is not healthy: ${unhealthy.map(([s, h]) => `${s} ${h}`).join(", ")}`);
  return { root, dir, name, runId, databaseUrl, stack, minioDir, v1Commit };
}

async function enrollAndStart(services: Services, project: Project, cluster: PgCluster): Promise<{ configFile: string; agent: AgentProcess }> {
  const configFile = path.join(project.root, "agent.json");
  const config = {
    host: HOST,
    stateDir: path.join(project.root, "state"),
    project: {
      name: project.name,
      dir: project.dir,
      infraServices: ["minio"],
      database: { adminUrl: cluster.adminUrl, name: "schedgen", binDir: cluster.bin },
      minio: { volume: project.stack.minioVolume, buckets: [DEMO_BUCKET] },
      smokeChecks: [{ name: "backend health", url: `${project.stack.urls.backend}/health` }],
    },
    thresholds: { minFreeDiskBytes: 256 * 1024 ** 2, healthTimeoutSeconds: 60, watchSeconds: 5, stopTimeoutSeconds: 5 },
    offsite: {
      endpoint: services.s3.endpoint,
      region: services.s3.region,
      bucket: services.offsiteBucket,
      accessKeyId: services.s3.accessKeyId,
      secretAccessKey: services.s3.secretAccessKey,
    },
  };
  await writeFile(configFile, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
  const token = await services.api.createEnrollment(HOST);
  const enroll = await runRewind(["agent", "enroll", "--url", services.controlPlane.url, "--token", token, "--host", HOST, "--config", configFile]);
  if (enroll.code !== 0) throw new RewindError("ENROLLMENT_INVALID", `rewind agent enroll exited ${enroll.code}:\n${enroll.output.join("\n")}`);
  const agent = spawnAgent(configFile);
  cleanup.add("agent", () => agent.stop());
  await services.api.waitOnline(HOST, { timeoutMs: 30_000, signal: interrupt.signal });
  return { configFile, agent };
}

async function backUp(services: Services, project: Project, note: (detail: string) => void): Promise<string> {
  const commandId = await services.api.queueCommand(HOST, { type: "backup", offsite: true });
  const done = await services.api.waitCommand(commandId, { timeoutMs: 60_000, signal: interrupt.signal });
  if (done.state !== "succeeded") throw new RewindError("STEP_FAILED", `the backup command ended ${done.state}: ${JSON.stringify(done.outcome)}`);
  const listed = (await services.api.backups(HOST))[0];
  if (listed === undefined || !listed.verified) throw new RewindError("BACKUP_INVALID", "the control plane lists no verified backup after the backup command");
  const bucket = services.controlPlane.s3Bucket ?? "";
  const stored = await services.s3.client.send(new GetObjectCommand({ Bucket: bucket, Key: listed.key }));
  const manifest = backupManifest.parse(JSON.parse((await stored.Body?.transformToString()) ?? "null"));
  if (manifest.git.commit !== project.v1Commit) throw new RewindError("BACKUP_INVALID", `the stored manifest names commit ${manifest.git.commit}, not v1's`);
  note(`backup ${manifest.backupId}: manifest signed by the host, stored at s3://${bucket}/${listed.key}; archives copied to s3://${services.offsiteBucket}`);
  return manifest.backupId;
}

/** Starts `rewind deploy` with the v2 deploy script; resolves when it exits (after the rollback it asks for). */
async function startDeploy(configFile: string, project: Project): Promise<{ done: Promise<CliRun> }> {
  const state: DeployState = { projectDir: project.dir, databaseUrl: project.databaseUrl, minioDir: project.minioDir, stack: project.stack };
  const stateFile = path.join(project.root, "deploy-state.json");
  await writeFile(stateFile, JSON.stringify(state));
  // rewind deploy runs the command in the project's checkout: name tsx by its full path.
  const command = [process.execPath, "--import", import.meta.resolve("tsx"), path.join(import.meta.dirname, "demo/deploy-v2.ts"), stateFile];
  const args = ["deploy", "--config", configFile, "--window", "60", "--interval", "1", "--failures", "3", "--json", "--", ...command];
  const done = runRewind(args, {
    // Shows the deploy's own lines, not the JSON outcome the demo reads at the end.
    onLine: (line) => {
      if (!/^[{} ]/.test(line)) out(`       │ ${line}`);
    },
    signal: interrupt.signal,
  });
  return { done };
}

/** The deploy shipped v2 and its health checks failed until `rewind deploy` asked for a rollback. */
async function untilRollbackRequested(api: ControlPlaneApi, deploy: Promise<CliRun>, note: (detail: string) => void): Promise<string> {
  let exited: CliRun | undefined;
  void deploy.then((run) => {
    exited = run;
  });
  const rollbackId = await waitUntil(
    async () => {
      const [latest] = await api.rollbacks(HOST);
      if (latest !== undefined) return latest.rollbackId;
      if (exited !== undefined) throw new RewindError("STEP_FAILED", `rewind deploy exited ${exited.code} without a rollback being requested`);
      return undefined;
    },
    "the broken deploy's rollback request",
    { timeoutMs: 120_000, signal: interrupt.signal },
  );
  const detail = await api.rollback(rollbackId);
  if (!detail.automatic || detail.source !== "deploy") {
    throw new RewindError("STEP_FAILED", `rollback ${rollbackId} was not the deploy's automatic one (source ${detail.source})`);
  }
  if (!/consecutive failed health checks/.test(detail.reason))
    throw new RewindError("STEP_FAILED", `the rollback was not for failed health checks: ${detail.reason}`);
  note(`rollback ${rollbackId} requested: ${detail.reason}`);
  return rollbackId;
}

async function automaticRollback(api: ControlPlaneApi, rollbackId: string, deploy: Promise<CliRun>, note: (detail: string) => void): Promise<RollbackDetail> {
  const rollback = await api.waitRollback(rollbackId, { timeoutMs: 120_000, signal: interrupt.signal });
  if (rollback.state !== "succeeded")
    throw new RewindError("STEP_FAILED", `rollback ${rollbackId} ended ${rollback.state}: ${JSON.stringify(rollback.outcome)}`);
  const run = await deploy;
  checkInterrupted();
  const outcome = parseDeployOutcome(run.stdout);
  if (run.code !== 3 || outcome.result !== "rolled-back" || outcome.failure?.kind !== "health-checks" || outcome.path !== "control-plane") {
    throw new RewindError(
      "STEP_FAILED",
      `rewind deploy exited ${run.code} with ${JSON.stringify(outcome)}; expected a rollback through the control plane after failed health checks`,
    );
  }
  note(`rewind deploy exited 3 (failed and rolled back); downtime ${rollback.downtimeMs === undefined ? "not reported" : formatDuration(rollback.downtimeMs)}`);
  return rollback;
}

async function verifyAudit(controlPlane: ControlPlaneWorld, api: ControlPlaneApi, root: string, note: (detail: string) => void): Promise<void> {
  const token = await api.createToken("auditor", "demo audit export");
  const dir = path.join(root, "audit-export");
  const exported = await runRewind(["audit", "export", "--url", controlPlane.url, "--token", token, "--out", dir]);
  if (exported.code !== 0) throw new RewindError("AUDIT_INVALID", `rewind audit export exited ${exported.code}:\n${exported.output.join("\n")}`);
  const verified = await runRewind(["audit", "verify", dir, "--key", path.join(dir, "jwks.json")]);
  if (verified.code !== 0) throw new RewindError("AUDIT_INVALID", `rewind audit verify exited ${verified.code}:\n${verified.output.join("\n")}`);
  const entries = (await readFile(path.join(dir, "audit.ndjson"), "utf8")).trim().split("\n").length;
  note(`${entries} entries; rewind audit verify exited 0: ${verified.output.at(-1) ?? ""}`);
}

let rollback: RollbackDetail | undefined;
let access: ConsoleAccess | undefined;
let agent: AgentProcess | undefined;
let exitCode = 0;

out("Rewind demo: a broken deploy, rolled back automatically, audited\n");
try {
  const services = await step("start the control plane (workerd: D1, Durable Objects, R2) and a loopback S3", async (note) => {
    const started = await startServices();
    note(`control plane listening on ${started.controlPlane.url}`);
    return started;
  });
  // The exact words the test world looks for to find the control plane.
  out(`       Rewind control plane listening on ${services.controlPlane.url}`);
  const { docker, cluster, images } = await step("start PostgreSQL (throwaway cluster) and build the demo images v1 and v2", async (note) => {
    const dockerClient = await requireDocker();
    const [pg, built] = await Promise.all([startPostgres(), buildDemoImages(dockerClient)]);
    cleanup.add("PostgreSQL", () => pg.stop());
    note(`PostgreSQL on 127.0.0.1:${pg.port}; images rewind-demo/{${demoServices.join(",")}}:{v1,v2}`);
    return { docker: dockerClient, cluster: pg, images: built };
  });
  const project = await step("bring up the demo stack v1 with data (compose up, commit, rows, MinIO files)", async (note) => {
    const up = await bringUpV1(docker, cluster);
    note(`compose project ${up.name} (${up.dir}/compose.yaml), commit ${up.v1Commit.slice(0, 12)}, backend ${up.stack.urls.backend}`);
    return up;
  });
  const expected: Expected = {
    commit: project.v1Commit,
    images: Object.fromEntries(demoServices.map((service) => [service, images.v1[service].id])),
    releases: Object.fromEntries(appServices.map((service) => [service, "v1"])),
    tables: await snapshotDatabase(project.databaseUrl),
    files: await snapshotFiles(project.minioDir),
    backendVersion: "v1",
  };
  const host = await step("enroll the agent with a one-time token and start it (outbound WebSocket only)", async (note) => {
    const started = await enrollAndStart(services, project, cluster);
    note(`host ${HOST} online`);
    return started;
  });
  agent = host.agent;
  await step("back up through the control plane (pg_dump, MinIO archive, manifest to S3)", (note) => backUp(services, project, note));
  const deploy = await startDeploy(host.configFile, project);
  const rollbackId = await step("deploy the broken v2 with `rewind deploy`; its health checks fail 3 times", (note) =>
    untilRollbackRequested(services.api, deploy.done, note),
  );
  rollback = await step("automatic rollback through the control plane, run by the agent", (note) =>
    automaticRollback(services.api, rollbackId, deploy.done, note),
  );
  await step("verify v1 is back: code, images, configuration, health, database and MinIO data", async (note) => {
    const found = differences(
      expected,
      await readHostState(docker, {
        project: project.name,
        projectDir: project.dir,
        databaseUrl: project.databaseUrl,
        minioDir: project.minioDir,
        backendUrl: project.stack.urls.backend,
      }),
    );
    if (found.length > 0) throw new RewindError("STEP_FAILED", found.join("\n"));
    note(summarize(expected));
  });
  await step("export the audit log and verify it offline (`rewind audit verify`)", (note) =>
    verifyAudit(services.controlPlane, services.api, project.root, note),
  );
  access = {
    url: services.controlPlane.url,
    viewerToken: await services.api.createToken("viewer", "demo console (viewer)"),
    operatorToken: await services.api.createToken("operator", "demo console (operator)"),
  };
} catch (error) {
  exitCode = interrupt.signal.aborted ? 130 : 1;
  if (!interrupt.signal.aborted && !entries.some((entry) => !entry.ok)) {
    out(`\nthe demo failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  }
  if (exitCode === 1 && agent !== undefined) out(`\nlast agent log lines:\n${agent.logs().slice(-30).join("\n")}`);
}

if (exitCode !== 130) {
  out(formatSummary(entries, Date.now() - startedAt, rollback, access));
  if (flags.keep && exitCode === 0) {
    out("\n--keep: everything stays up for a look at the console. Ctrl-C stops it and cleans up.");
    await new Promise<void>((resolve) => interrupt.signal.addEventListener("abort", () => resolve()));
  } else if (exitCode === 0) {
    out("\n(the console stops with the demo: run `bash scripts/demo.sh --keep` to look at it)");
  }
}

const failures = await cleanup.runAll();
if (failures.length > 0) {
  out(`cleanup could not remove:\n  ${failures.join("\n  ")}`);
  if (exitCode === 0) exitCode = 1;
} else {
  out("cleaned up: containers, volumes, network, databases, control plane state and temp files removed");
}
process.exit(exitCode);

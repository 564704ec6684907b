// The fault suite: rollbacks driven through the control plane while things break. The agent process
// SIGKILLed mid-rollback and restarted (also after a power cut that let Docker restart the stopped
// services), the control plane restarted mid-rollback, the agent cut off
// from the control plane mid-rollback, too little disk, a backup archive gone. Each ends in a correct,
// consistent state with nothing lost, and the audit log still verifies. (Kills of the local engine at
// each step are T5's rollback-resume suite.) Real Docker, PostgreSQL, git, agent process and workerd.
import { access, mkdtemp, readFile, rm, unlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import type Docker from "dockerode";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import * as z from "zod";
import { listProjectContainers } from "../../agent/src/host/compose.ts";
import { volumeDataDir } from "../../agent/src/host/volume.ts";
import { copyOffsite } from "../../agent/src/backup/offsite-copy.ts";
import { type AgentConfig, loadAgentConfig } from "../../agent/src/config.ts";
import type { RollbackReport } from "../../agent/src/rollback/report.ts";
import { progressReport } from "../../shared/schemas/report.ts";
import { rollbackStepIds } from "../../shared/schemas/rollback.ts";
import { ControlPlaneApi, type RollbackDetail } from "../../scripts/demo/api.ts";
import { runRewind } from "../../scripts/demo/rewind-cli.ts";
import { type AgentProcess, spawnAgent } from "../world/agent.ts";
import { type ControlPlaneWorld, startControlPlane } from "../world/control-plane.ts";
import { requireDocker } from "../world/docker.ts";
import { journalLines, type NetworkLink, restartAfterPowerCut, startNetworkLink, whenJournalEnds, whenStepRuns } from "../world/faults.ts";
import { type PgCluster, startPostgres } from "../world/postgres.ts";
import { startS3 } from "../world/s3.ts";
import { exportAndVerifyAudit } from "./audit-check.ts";
import { gitHeadOf, prepareScenario, type Scenario, snapshotDatabase, snapshotFiles } from "./rollback-fixture.ts";

let docker: Docker;
let cluster: PgCluster;

beforeAll(async () => {
  docker = await requireDocker();
  cluster = await startPostgres();
});
afterAll(async () => {
  await cluster?.stop();
});

/** One case's world: the scenario (v2 running over a v1 backup), its own control plane, and the agent. */
interface FaultCase {
  scenario: Scenario;
  controlPlane: ControlPlaneWorld;
  link: NetworkLink;
  api: ControlPlaneApi;
  agent: AgentProcess;
  /** Starts the agent again (after it was killed) with the same config and state. */
  restartAgent(): Promise<void>;
}

let current: { case?: FaultCase; cleanups: (() => Promise<unknown>)[] } = { cleanups: [] };

afterEach(async () => {
  const failures: unknown[] = [];
  for (const cleanup of current.cleanups.reverse()) {
    await cleanup().catch((error: unknown) => failures.push(error));
  }
  current = { cleanups: [] };
  if (failures.length > 0) throw new AggregateError(failures, "fault case cleanup failed");
});

/** Turns the off-site copy on in the scenario's agent config and copies its backup to the bucket. */
async function copyBackupOffsite(scenario: Scenario): Promise<void> {
  const s3 = await startS3();
  current.cleanups.push(() => s3.stop());
  const bucket = "rewind-offsite-faults";
  await s3.createBucket(bucket);
  const raw = z.record(z.string(), z.unknown()).parse(JSON.parse(await readFile(scenario.configFile, "utf8")));
  const offsite = { endpoint: s3.endpoint, region: s3.region, bucket, accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey };
  await writeFile(scenario.configFile, JSON.stringify({ ...raw, offsite }, null, 2));
  await copyOffsite(await loadAgentConfig(scenario.configFile), scenario.backupDir, scenario.manifest);
}

async function startCase(options: { thresholds?: Partial<AgentConfig["thresholds"]>; offsite?: boolean } = {}): Promise<FaultCase> {
  const scenario = await prepareScenario(docker, cluster, { thresholds: options.thresholds ?? {} });
  current.cleanups.push(() => scenario.cleanup());
  if (options.offsite === true) await copyBackupOffsite(scenario);
  const controlPlane = await startControlPlane();
  current.cleanups.push(() => controlPlane.stop());
  // The agent reaches the control plane through a link the test can cut, as a network would be.
  const link = await startNetworkLink(controlPlane.url);
  current.cleanups.push(() => link.stop());
  const admin = new ControlPlaneApi(controlPlane.url, controlPlane.adminToken);
  const host = scenario.config.host;
  const enrollment = await admin.createEnrollment(host);
  const enrolled = await runRewind(["agent", "enroll", "--url", link.url, "--token", enrollment, "--host", host, "--config", scenario.configFile]);
  expect(enrolled.code, enrolled.output.join("\n")).toBe(0);
  const api = new ControlPlaneApi(controlPlane.url, await admin.createToken("operator", "fault suite"));
  const faultCase: FaultCase = {
    scenario,
    controlPlane,
    link,
    api,
    agent: spawnAgent(scenario.configFile),
    async restartAgent() {
      this.agent = spawnAgent(scenario.configFile);
      current.cleanups.push(() => this.agent.stop());
    },
  };
  current.cleanups.push(() => faultCase.agent.stop());
  current.case = faultCase;
  await api.waitOnline(host, { timeoutMs: 30_000 });
  // The agent announces its local backups on connect: wait until the control plane lists this one.
  await waitForBackup(api, host, scenario.manifest.backupId);
  return faultCase;
}

async function waitForBackup(api: ControlPlaneApi, host: string, backupId: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (!(await api.backups(host)).some((b) => b.backupId === backupId && b.verified)) {
    if (Date.now() > deadline) throw new Error(`the control plane never listed backup ${backupId} of ${host}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

async function requestRollback(c: FaultCase, reason: string): Promise<string> {
  return c.api.requestRollback(c.scenario.config.host, reason, c.scenario.manifest.backupId);
}

async function localReport(c: FaultCase, rollbackId: string): Promise<RollbackReport> {
  const text = await readFile(path.join(c.scenario.config.stateDir, "rollbacks", rollbackId, "report.json"), "utf8");
  return JSON.parse(text) as RollbackReport;
}

/** v1 is back: images, health, rows and sequences, MinIO files, commit; v2's data kept aside. */
async function expectRolledBack(c: FaultCase, report: RollbackReport): Promise<void> {
  const s = c.scenario;
  const containers = await listProjectContainers(docker, s.config.project.name);
  expect(containers).toHaveLength(s.manifest.services.length);
  for (const service of s.manifest.services) {
    const container = containers.find((item) => item.service === service.service);
    expect(container?.imageId).toBe(service.imageId);
    expect(container?.health).toBe("healthy");
  }
  expect(await snapshotDatabase(s.databaseUrl)).toEqual(s.v1.tables);
  expect(await snapshotFiles(await volumeDataDir(docker, s.config.project.minio?.volume ?? ""))).toEqual(s.v1.files);
  expect(await gitHeadOf(s.config.project.dir)).toBe(s.v1Commit);
  expect(await snapshotDatabase(cluster.urlFor(report.setAside?.database ?? ""))).toEqual(s.v2.tables);
  expect(await snapshotFiles(report.setAside?.minio ?? "")).toEqual(s.v2.files);
}

/** A refused rollback changed nothing: the same v2 containers still run, v2 data and commit in place. */
async function expectUntouched(c: FaultCase): Promise<void> {
  const s = c.scenario;
  const containers = await listProjectContainers(docker, s.config.project.name);
  expect(containers.map((item) => [item.service, item.id, item.state]).sort()).toEqual(
    Object.values(s.stack.containers)
      .map((item) => [item.service, item.id, "running"])
      .sort(),
  );
  expect(await snapshotDatabase(s.databaseUrl)).toEqual(s.v2.tables);
  expect(await snapshotFiles(await volumeDataDir(docker, s.config.project.minio?.volume ?? ""))).toEqual(s.v2.files);
  expect(await gitHeadOf(s.config.project.dir)).toBe(s.v2Commit);
}

/** The control plane's rollback record tells the agent's own story: its steps, their order and states, its downtime. */
async function expectSameSteps(c: FaultCase, remote: RollbackDetail, local: RollbackReport): Promise<void> {
  expect(remote.steps.map((step) => [step.step, step.state])).toEqual(local.steps.map((step) => [step.id, step.state]));
  expect(remote.downtimeMs).toBe(local.downtimeMs);
  const command = await c.api.command(remote.commandId ?? "");
  expect(command.reports.filter((report) => report.kind === "result")).toHaveLength(1);
}

/**
 * Nothing lost and nothing out of order on the way: the control plane holds, for every step in the
 * agent's journal, its "running" and then its final progress report, in the order they happened.
 */
async function expectEveryReport(c: FaultCase, remote: RollbackDetail, local: RollbackReport): Promise<void> {
  await expectSameSteps(c, remote, local);
  const command = await c.api.command(remote.commandId ?? "");
  const transitions: [string, string][] = [];
  for (const { kind, body } of command.reports) {
    if (kind !== "progress") continue;
    const { step, state } = progressReport.parse(body);
    const last = transitions.at(-1);
    // A step reports "running" again for each message it logs; a transition is a change of state.
    if (last?.[0] !== step || last[1] !== state) transitions.push([step, state]);
  }
  expect(transitions).toEqual(
    local.steps.flatMap((step) => [
      [step.id, "running"],
      [step.id, step.state],
    ]),
  );
}

function expectAllStepsSucceeded(remote: RollbackDetail): void {
  expect(remote.state).toBe("succeeded");
  const forward = remote.steps.filter((step) => (rollbackStepIds as readonly string[]).includes(step.step));
  expect(forward.map((step) => [step.step, step.state])).toEqual(rollbackStepIds.map((step) => [step, "succeeded"]));
}

async function expectAuditVerifies(c: FaultCase): Promise<void> {
  const dir = await mkdtemp(path.join(tmpdir(), "rewind-faults-audit-"));
  try {
    const result = await exportAndVerifyAudit(c.controlPlane, dir);
    expect(result.ok, JSON.stringify(result)).toBe(true);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

describe("the agent killed mid-rollback", () => {
  // Before the downtime, in its middle (the data swap), and while containers are being recreated.
  for (const step of ["stage", "swap", "start"]) {
    it(`SIGKILLed during ${step}, restarted: it resumes from its journal and the control plane sees every step succeed`, async () => {
      const c = await startCase();
      const rollbackId = await requestRollback(c, `fault suite: agent killed during ${step}`);
      await whenStepRuns(c.scenario.config.stateDir, step);
      c.agent.kill("SIGKILL");
      await c.agent.exited;
      await c.restartAgent();

      const remote = await c.api.waitRollback(rollbackId, { timeoutMs: 150_000 });
      expectAllStepsSucceeded(remote);
      const report = await localReport(c, rollbackId);
      expect(report.state).toBe("succeeded");
      // It was the restarted agent that finished the job, from the journal the killed one left.
      const journal = await journalLines(c.scenario.config.stateDir);
      expect(journal.filter((line) => line.kind === "resume")).toHaveLength(1);
      // A report still being signed at the kill is lost with the process; the resumed run says it again.
      await expectSameSteps(c, remote, report);
      await expectRolledBack(c, report);
      await expectAuditVerifies(c);
    });
  }
});

describe("a power cut mid-rollback", () => {
  it("Docker brings the stopped services back while the agent is dead; the restarted agent stops them again and finishes", async () => {
    const c = await startCase();
    const rollbackId = await requestRollback(c, "fault suite: power cut during swap");
    await whenStepRuns(c.scenario.config.stateDir, "swap");
    c.agent.kill("SIGKILL");
    await c.agent.exited;
    expect((await restartAfterPowerCut(docker, c.scenario.config.project.name)).length).toBeGreaterThan(0);
    await c.restartAgent();

    const remote = await c.api.waitRollback(rollbackId, { timeoutMs: 150_000 });
    expectAllStepsSucceeded(remote);
    const report = await localReport(c, rollbackId);
    expect(report.state).toBe("succeeded");
    await expectSameSteps(c, remote, report);
    await expectRolledBack(c, report);
    await expectAuditVerifies(c);
  });
});

describe("the control plane restarted mid-rollback", () => {
  it("the agent reconnects, every step report arrives, and the rollback ends succeeded", async () => {
    const c = await startCase();
    const rollbackId = await requestRollback(c, "fault suite: control plane restarted");
    await whenStepRuns(c.scenario.config.stateDir, "stage");
    await c.controlPlane.restart();

    const remote = await c.api.waitRollback(rollbackId, { timeoutMs: 150_000 });
    expectAllStepsSucceeded(remote);
    const report = await localReport(c, rollbackId);
    await expectEveryReport(c, remote, report);
    await expectRolledBack(c, report);
    await expectAuditVerifies(c);
  });
});

describe("the agent cut off from the control plane mid-rollback", () => {
  it("finishes locally; after the link heals its reports arrive, none lost", async () => {
    const c = await startCase();
    const rollbackId = await requestRollback(c, "fault suite: network partition");
    await whenStepRuns(c.scenario.config.stateDir, "stage");
    c.link.cut();

    expect(await whenJournalEnds(c.scenario.config.stateDir)).toBe("succeeded");
    // The control plane heard nothing of the end while cut off.
    expect((await c.api.rollback(rollbackId)).state).toBe("running");
    const report = await localReport(c, rollbackId);
    await expectRolledBack(c, report);

    c.link.heal();
    const remote = await c.api.waitRollback(rollbackId, { timeoutMs: 90_000 });
    expectAllStepsSucceeded(remote);
    await expectEveryReport(c, remote, report);
    await expectAuditVerifies(c);
  });
});

describe("preflight refusals change nothing", () => {
  it("too little free disk: the rollback fails in preflight with PREFLIGHT_FAILED, no service stopped", async () => {
    const c = await startCase({ thresholds: { minFreeDiskBytes: Number.MAX_SAFE_INTEGER } });
    const rollbackId = await requestRollback(c, "fault suite: disk below the threshold");
    const remote = await c.api.waitRollback(rollbackId, { timeoutMs: 60_000 });
    expect(remote.state).toBe("failed");
    expect(remote.outcome).toMatchObject({ code: "PREFLIGHT_FAILED" });
    expect(JSON.stringify(remote.outcome)).toMatch(/not enough free disk/);
    expect(remote.steps.map((step) => [step.step, step.state])).toEqual([["preflight", "failed"]]);
    await expectUntouched(c);
    await expectAuditVerifies(c);
  });

  it("the backup's MinIO archive is gone: PREFLIGHT_FAILED naming the file, no service stopped", async () => {
    const c = await startCase();
    const archive = c.scenario.manifest.minio?.file.path;
    expect(archive).toBeDefined();
    await unlink(path.join(c.scenario.backupDir, archive ?? ""));
    const rollbackId = await requestRollback(c, "fault suite: archive missing");
    const remote = await c.api.waitRollback(rollbackId, { timeoutMs: 60_000 });
    expect(remote.state).toBe("failed");
    expect(remote.outcome).toMatchObject({ code: "PREFLIGHT_FAILED" });
    expect(JSON.stringify(remote.outcome)).toContain(`${archive}: missing`);
    expect(remote.steps.map((step) => [step.step, step.state])).toEqual([["preflight", "failed"]]);
    await expectUntouched(c);
    await expectAuditVerifies(c);
  });

  it("the MinIO archive is gone but the off-site copy is on: it is fetched back from S3 and the rollback succeeds", async () => {
    const c = await startCase({ offsite: true });
    const archive = path.join(c.scenario.backupDir, c.scenario.manifest.minio?.file.path ?? "");
    await unlink(archive);
    const rollbackId = await requestRollback(c, "fault suite: archive missing, off-site copy on");
    const remote = await c.api.waitRollback(rollbackId, { timeoutMs: 150_000 });
    expectAllStepsSucceeded(remote);
    const command = await c.api.command(remote.commandId ?? "");
    const messages = command.reports.flatMap(({ body }) => {
      const parsed = progressReport.safeParse(body);
      return parsed.success && parsed.data.message !== undefined ? [parsed.data.message] : [];
    });
    expect(messages.some((message) => message.startsWith("fetched from the off-site copy") && message.includes(path.basename(archive)))).toBe(true);
    await access(archive);
    await expectRolledBack(c, await localReport(c, rollbackId));
    await expectAuditVerifies(c);
  });
});

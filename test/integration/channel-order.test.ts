// The host's Durable Object handles an agent's frames in the order the agent sent them, on real
// workerd: a run of signed reports sent back to back (without waiting for acks) is audited and
// recorded in that order, and a frame whose handling fails does not hold up the frames behind it.
// The manifests' bucket does not exist on the (real, s3rver) S3 endpoint, so storing an announced
// manifest fails: that is the failing frame. A second control plane's S3 endpoint accepts connections
// and never answers: the frame storing a manifest there fails once the S3 client's deadline passes.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { s3AttemptTimeoutMs, s3MaxAttempts } from "../../control-plane/src/storage/s3-bounds.ts";
import type { BackupManifest } from "../../shared/schemas/manifest.ts";
import type { Report } from "../../shared/schemas/report.ts";
import { randomId, signReport } from "../../shared/signing.ts";
import { type ControlPlaneWorld, startControlPlane } from "../world/control-plane.ts";
import { type S3World, startS3 } from "../world/s3.ts";
import { type SilentServer, startSilentServer } from "../world/silent-server.ts";
import { controlPlaneClient, json, until } from "./control-plane-client.ts";
import { type AuditLine, auditLines } from "./rollbacks-helpers.ts";

let s3: S3World;
let world: ControlPlaneWorld;
let silentS3: SilentServer;
let stalledWorld: ControlPlaneWorld;

beforeAll(async () => {
  s3 = await startS3();
  world = await startControlPlane({ s3, env: { S3_BUCKET: "no-such-bucket" } });
  silentS3 = await startSilentServer();
  stalledWorld = await startControlPlane({
    env: { S3_ENDPOINT: silentS3.url, S3_BUCKET: "manifests", S3_ACCESS_KEY_ID: "stalled", S3_SECRET_ACCESS_KEY: "stalled" },
  });
});

afterAll(async () => {
  await stalledWorld?.stop();
  await silentS3?.stop();
  await world?.stop();
  await s3?.stop();
});

const client = controlPlaneClient(() => world);
const stalled = controlPlaneClient(() => stalledWorld);

/** An enrolled host's agent socket, with one command queued and delivered to it. */
async function deliveredCommand(host: string, on: ReturnType<typeof controlPlaneClient> = client) {
  const key = await on.enrolledHost(host);
  const socket = await on.connect(host, key);
  const id = await on.queue(host);
  await until(
    "delivery",
    async () => socket.commands(),
    (ids) => ids.includes(id),
  );
  return { key, socket, id };
}

function reportIdOf(jws: string): string {
  const payload = JSON.parse(Buffer.from(jws.split(".")[1] ?? "", "base64url").toString("utf8")) as { jti: string };
  return payload.jti;
}

/** Which of `reportIds` reached the audit log, in the log's order. */
async function auditedReportIds(reportIds: readonly string[], on: ControlPlaneWorld = world): Promise<string[]> {
  const entries = await auditLines<AuditLine>(on);
  return entries
    .filter((e) => e.action === "agent.report" && reportIds.includes(String(e.details.reportId)))
    .sort((a, b) => a.seq - b.seq)
    .map((e) => String(e.details.reportId));
}

/** The time D1 recorded for each of a command's reports. */
async function receivedAt(commandId: string): Promise<Map<string, number>> {
  const view = await json<{ reports: { id: string; receivedAt: string }[] }>(await world.api(`/v1/commands/${commandId}`));
  return new Map(view.reports.map((r) => [r.id, Date.parse(r.receivedAt)]));
}

/** Progress reports of varied size (some with a long excerpt), as a busy rollback step sends them. */
function progressRun(commandId: string, count: number): Report[] {
  return Array.from({ length: count }, (_, i) => ({
    kind: "progress",
    commandId,
    step: "stage",
    state: "running",
    message: `chunk ${i}`,
    ...(i % 3 === 0 ? { excerpt: `line ${i}\n`.repeat(700) } : {}),
  }));
}

/** Progress interleaved with the host's state: the two take different paths (D1 vs the object's own storage). */
function mixedRun(commandId: string, count: number): Report[] {
  return progressRun(commandId, count).flatMap((progress, i) =>
    i % 2 === 0 ? [progress, { kind: "state", commit: `${i}`.padStart(40, "a"), images: {} } satisfies Report] : [progress],
  );
}

function manifestFor(host: string): BackupManifest {
  return {
    version: 1,
    backupId: `order-${randomId().slice(0, 10)}`,
    host,
    composeProject: "shop",
    timestamp: "20261203_120000",
    createdAt: new Date().toISOString(),
    git: { commit: "0123456789abcdef0123456789abcdef01234567", branch: "main" },
    services: [],
    agentVersion: "0.1.0-test",
  };
}

describe("frame order on the host's Durable Object (real workerd)", () => {
  it("audits and records a run of reports sent back to back in the order the agent sent them", async () => {
    const host = "order-1";
    const { key, socket, id } = await deliveredCommand(host);
    const reports: Report[] = [{ kind: "ack", commandId: id }, ...mixedRun(id, 40), { kind: "result", commandId: id, ok: true, output: { pong: true } }];
    const signed = await Promise.all(reports.map((report) => signReport(report, host, key.privateJwk)));
    for (const [i, jws] of signed.entries()) {
      socket.send(JSON.stringify({ t: "report", jws }));
      if (i % 5 === 0) socket.send(JSON.stringify({ t: "heartbeat", ts: Date.now() }));
    }
    const sent = signed.map(reportIdOf);

    await until(
      "every report acknowledged",
      async () => socket.reportAcks(),
      (n) => n === sent.length,
    );
    const acked = socket.frames.flatMap((frame) => (frame.t === "report-ack" ? [frame.reportId] : []));
    expect(acked).toEqual(sent);
    expect(await auditedReportIds(sent)).toEqual(sent);
    const times = await receivedAt(id);
    const recorded = sent.flatMap((reportId) => times.get(reportId) ?? []);
    expect(recorded).toHaveLength(reports.filter((report) => "commandId" in report).length);
    expect(recorded).toEqual([...recorded].sort((a, b) => a - b));
    await socket.close();
  });

  it("lists a command's reports stamped in one millisecond in the order they arrived", async () => {
    const host = "order-4";
    const { key, socket, id } = await deliveredCommand(host);
    const reports: Report[] = [{ kind: "ack", commandId: id }, ...progressRun(id, 8), { kind: "result", commandId: id, ok: true }];
    const signed = await Promise.all(reports.map((report) => signReport(report, host, key.privateJwk)));
    for (const jws of signed) socket.send(JSON.stringify({ t: "report", jws }));
    const sent = signed.map(reportIdOf);
    await until(
      "every report acknowledged",
      async () => socket.reportAcks(),
      (n) => n === sent.length,
    );
    // As when the Worker's clock did not move between them (it only moves with I/O).
    await (await world.d1()).prepare("UPDATE command_reports SET received_at = ? WHERE command_id = ?").bind(Date.now(), id).run();
    const view = await json<{ reports: { id: string }[] }>(await world.api(`/v1/commands/${id}`));
    expect(view.reports.map((report) => report.id)).toEqual(sent);
    await socket.close();
  });

  it("keeps handling the frames behind one whose handling failed, and leaves the failed one unacknowledged", async () => {
    const host = "order-2";
    const { key, socket, id } = await deliveredCommand(host);
    const manifest = await signReport({ kind: "manifest", manifest: manifestFor(host) }, host, key.privateJwk);
    const behind: Report[] = [{ kind: "ack", commandId: id }, ...progressRun(id, 5), { kind: "result", commandId: id, ok: true }];
    const after = await Promise.all(behind.map((report) => signReport(report, host, key.privateJwk)));
    socket.send(JSON.stringify({ t: "report", jws: manifest }));
    for (const jws of after) socket.send(JSON.stringify({ t: "report", jws }));
    socket.send(JSON.stringify({ t: "heartbeat", ts: Date.now() }));

    const sent = after.map(reportIdOf);
    await until(
      "the reports behind the failed one acknowledged",
      async () => socket.reportAcks(),
      (n) => n === sent.length,
    );
    await until(
      "the heartbeat answered",
      async () => socket.frames.filter((frame) => frame.t === "heartbeat").length,
      (n) => n === 1,
    );
    expect(socket.frames.flatMap((frame) => (frame.t === "report-ack" ? [frame.reportId] : []))).toEqual(sent);
    expect(await auditedReportIds(sent)).toEqual(sent);
    expect(await auditedReportIds([reportIdOf(manifest)])).toEqual([]);
    const backups = await json<{ backups: unknown[] }>(await world.api(`/v1/hosts/${host}/backups`));
    expect(backups.backups).toEqual([]);
    expect(socket.frames.some((frame) => frame.t === "report-ack" && frame.reportId === reportIdOf(manifest))).toBe(false);
    await socket.close();
  });

  it("handles the frames behind a manifest whose S3 store never answers once the S3 client's deadline passes", async () => {
    const host = "order-3";
    const { key, socket, id } = await deliveredCommand(host, stalled);
    const manifest = await signReport({ kind: "manifest", manifest: manifestFor(host) }, host, key.privateJwk);
    const behind: Report[] = [{ kind: "ack", commandId: id }, ...progressRun(id, 3), { kind: "result", commandId: id, ok: true }];
    const after = await Promise.all(behind.map((report) => signReport(report, host, key.privateJwk)));
    const started = Date.now();
    socket.send(JSON.stringify({ t: "report", jws: manifest }));
    for (const jws of after) socket.send(JSON.stringify({ t: "report", jws }));
    socket.send(JSON.stringify({ t: "heartbeat", ts: Date.now() }));

    const sent = after.map(reportIdOf);
    await until(
      "the reports behind the stalled one acknowledged",
      async () => socket.reportAcks(),
      (n) => n === sent.length,
    );
    const waited = Date.now() - started;
    // Held up by the S3 call, and released within its bound (attempts x deadline, plus the SDK's
    // sub-second backoff and a loaded machine's slack), well inside the agent timeout.
    expect(waited).toBeGreaterThanOrEqual(s3AttemptTimeoutMs);
    expect(waited).toBeLessThan(s3MaxAttempts * s3AttemptTimeoutMs + 8_000);
    await until(
      "the heartbeat answered",
      async () => socket.frames.filter((frame) => frame.t === "heartbeat").length,
      (n) => n === 1,
    );
    expect(socket.frames.flatMap((frame) => (frame.t === "report-ack" ? [frame.reportId] : []))).toEqual(sent);
    expect(await auditedReportIds(sent, stalledWorld)).toEqual(sent);
    // The announce failed whole: nothing stored, indexed or audited, and left for the agent to resend.
    const manifestPut = (line: string) => line.includes(`/manifests/${host}/`);
    expect(silentS3.requestLines().filter(manifestPut)).toHaveLength(s3MaxAttempts);
    // Given up on, not just no longer awaited: the Worker closed those connections.
    await until(
      "the stalled S3 connections closed",
      async () => silentS3.openRequestLines().filter(manifestPut).length,
      (n) => n === 0,
    );
    expect(await auditedReportIds([reportIdOf(manifest)], stalledWorld)).toEqual([]);
    const backups = await json<{ backups: unknown[] }>(await stalledWorld.api(`/v1/hosts/${host}/backups`));
    expect(backups.backups).toEqual([]);
    expect(socket.frames.some((frame) => frame.t === "report-ack" && frame.reportId === reportIdOf(manifest))).toBe(false);
    expect(socket.closed).toBeUndefined();
    await socket.close();
  });
});

// Backup manifests on the control plane, end to end: a `backup` command run by the real agent on the
// demo stack sends its signed manifest up; the control plane stores it in the S3 bucket (s3rver on
// loopback) and indexes it in D1; the API lists and returns it; a request naming no backup uses the
// newest. A forged agent socket shows that a tampered or misaddressed manifest is refused and audited.
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { GetObjectCommand, HeadObjectCommand } from "@aws-sdk/client-s3";
import type Docker from "dockerode";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WebSocket } from "ws";
import type { BackupManifest } from "../../shared/schemas/manifest.ts";
import type { Report } from "../../shared/schemas/report.ts";
import { generateSigningKey, type KeyPairJwk, signConnectToken, signReport } from "../../shared/signing.ts";
import { type AgentProcess, spawnAgent } from "../world/agent.ts";
import { type ControlPlaneWorld, startControlPlane } from "../world/control-plane.ts";
import { requireDocker } from "../world/docker.ts";
import { type PgCluster, startPostgres } from "../world/postgres.ts";
import { type S3World, startS3 } from "../world/s3.ts";
import { prepareScenario, type Scenario } from "./rollback-fixture.ts";
import { apiJson, auditLines, enrolledAgent, hostEntry, mintToken, stopScenarioWorld, waitUntil } from "./rollbacks-helpers.ts";

interface BackupSummary {
  backupId: string;
  createdAt: string;
  gitCommit: string;
  sha256: string;
  verified: boolean;
  key: string;
}
interface ErrorBody {
  error: { code: string; message: string };
}

let docker: Docker;
let cluster: PgCluster;
let s3: S3World;
let scenario: Scenario;
let world: ControlPlaneWorld;
let agent: AgentProcess | undefined;
let operator: { id: string; token: string };
let host: string;
let bucket: string;
/** Set by the backup-command test: the backup it made and its directory on the host. */
let fresh: { backupId: string; dir: string };

async function backupsOf(name: string): Promise<BackupSummary[]> {
  const { status, body } = await apiJson<{ backups: BackupSummary[] }>(world, `/v1/hosts/${name}/backups`, { token: operator.token });
  expect(status).toBe(200);
  return body.backups;
}

async function objectText(key: string): Promise<string> {
  const object = await s3.client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return (await object.Body?.transformToString()) ?? "";
}

async function objectExists(key: string): Promise<boolean> {
  try {
    await s3.client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    return true;
  } catch {
    return false;
  }
}

/** A hand-driven agent socket for a host enrolled through the API: sends report JWS as given. */
async function forgedAgent(name: string): Promise<{ key: KeyPairJwk; send(jws: string): void; acked(reportId: string): Promise<void>; close(): void }> {
  const key = await generateSigningKey();
  const enrollment = await apiJson<{ token: string }>(world, "/v1/enrollments", { method: "POST", body: JSON.stringify({ host: name }) });
  const enrolled = await fetch(`${world.url}/v1/agents/enroll`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ token: enrollment.body.token, host: name, publicJwk: key.publicJwk, agentVersion: "0.1.0-test" }),
  });
  expect(enrolled.ok).toBe(true);
  const socket = new WebSocket(`${world.url.replace(/^http/, "ws")}/v1/agents/connect`, {
    headers: { authorization: `Bearer ${await signConnectToken(name, "0.1.0-test", key.privateJwk)}` },
  });
  const acks = new Set<string>();
  const waiters = new Set<() => void>();
  const welcomed = new Promise<void>((resolve, reject) => {
    socket.once("error", reject);
    socket.on("message", (data) => {
      const frame = JSON.parse(data.toString()) as { t: string; reportId?: string };
      if (frame.t === "welcome") resolve();
      if (frame.t === "report-ack" && frame.reportId !== undefined) acks.add(frame.reportId);
      for (const wake of waiters) wake();
    });
  });
  await welcomed;
  return {
    key,
    send: (jws) => socket.send(JSON.stringify({ t: "report", jws })),
    acked: (reportId) =>
      new Promise((resolve) => {
        const check = () => {
          if (!acks.has(reportId)) return;
          waiters.delete(check);
          resolve();
        };
        waiters.add(check);
        check();
      }),
    close: () => socket.close(1000, "test done"),
  };
}

function reportIdOf(jws: string): string {
  const payload = JSON.parse(Buffer.from(jws.split(".")[1] ?? "", "base64url").toString("utf8")) as { jti: string };
  return payload.jti;
}

beforeAll(async () => {
  docker = await requireDocker();
  [cluster, s3] = await Promise.all([startPostgres(), startS3()]);
  world = await startControlPlane({ s3 });
  bucket = world.s3Bucket ?? "";
  scenario = await prepareScenario(docker, cluster);
  host = scenario.config.host;
  operator = await mintToken(world, "operator", "olga");
  agent = await enrolledAgent(world, scenario, "online");
});

afterAll(async () => {
  await stopScenarioWorld({ agent, world, scenario, s3, cluster });
});

describe("backup manifests on the control plane", () => {
  it("stores the manifest of a backup command in the S3 bucket and serves it through the API", async () => {
    await waitUntil(async () => ((await backupsOf(host)).length === 1 ? true : undefined), "the announced backup", 30_000, agent);
    const queued = await apiJson<{ commandId: string }>(world, `/v1/hosts/${host}/commands`, {
      method: "POST",
      token: operator.token,
      body: JSON.stringify({ action: { type: "backup" } }),
    });
    expect(queued.status).toBe(202);
    const command = await waitUntil(
      async () => {
        const { body } = await apiJson<{ state: string; outcome: { output?: { backupId: string; dir: string } } | null }>(
          world,
          `/v1/commands/${queued.body.commandId}`,
        );
        return ["succeeded", "failed", "rejected", "expired"].includes(body.state) ? body : undefined;
      },
      "the backup command to finish",
      120_000,
      agent,
    );
    expect(command.state).toBe("succeeded");
    const output = command.outcome?.output;
    expect(output?.backupId).toEqual(expect.any(String));
    fresh = { backupId: output?.backupId ?? "", dir: output?.dir ?? "" };
    const onDisk = JSON.parse(await readFile(path.join(fresh.dir, "manifest.json"), "utf8")) as BackupManifest;

    const listed = await waitUntil(async () => {
      const backups = await backupsOf(host);
      return backups.length === 2 ? backups : undefined;
    }, "the new backup to be indexed");
    expect(listed.map((b) => b.backupId)).toEqual([fresh.backupId, scenario.manifest.backupId]);
    const [newest] = listed;
    expect(newest).toMatchObject({ verified: true, gitCommit: onDisk.git.commit, key: `manifests/${host}/${fresh.backupId}.json` });

    const stored = await objectText(`manifests/${host}/${fresh.backupId}.json`);
    expect(JSON.parse(stored)).toEqual(onDisk);
    expect(createHash("sha256").update(stored).digest("hex")).toBe(newest?.sha256);
    expect(await objectExists(`manifests/${host}/${scenario.manifest.backupId}.json`)).toBe(true);

    const one = await apiJson<{ backupId: string; manifest: BackupManifest }>(world, `/v1/hosts/${host}/backups/${fresh.backupId}`, {
      token: operator.token,
    });
    expect(one.status).toBe(200);
    expect(one.body.manifest).toEqual(onDisk);
    expect((await hostEntry(world, host))?.newestBackup).toEqual({ backupId: fresh.backupId, createdAt: onDisk.createdAt });
    const missing = await apiJson<ErrorBody>(world, `/v1/hosts/${host}/backups/pre-deployment-19990101_000000`, { token: operator.token });
    expect(missing.status).toBe(404);
  });

  it("uses the newest verified backup when a request names none, and an earlier one by id", async () => {
    // Approval keeps the requests from running: what is checked is which backup they carry.
    await apiJson(world, `/v1/hosts/${host}/settings`, { method: "PUT", body: JSON.stringify({ requireApproval: true }) });
    const request = async (backupId?: string) =>
      apiJson<{ rollbackId: string; state: string } & ErrorBody>(world, "/v1/rollbacks", {
        method: "POST",
        token: operator.token,
        body: JSON.stringify({ host, reason: "which backup?", confirm: host, ...(backupId === undefined ? {} : { backupId }) }),
      });
    for (const [named, expected] of [
      [undefined, fresh.backupId],
      [scenario.manifest.backupId, scenario.manifest.backupId],
    ] as const) {
      const { status, body } = await request(named);
      expect(status).toBe(202);
      expect(body.state).toBe("pending-approval");
      const detail = await apiJson<{ backupId: string }>(world, `/v1/rollbacks/${body.rollbackId}`, { token: operator.token });
      expect(detail.body.backupId).toBe(expected);
      const cancelled = await apiJson<{ state: string }>(world, `/v1/rollbacks/${body.rollbackId}/cancel`, { method: "POST", token: operator.token });
      expect(cancelled.body.state).toBe("cancelled");
    }
    const unknown = await request("pre-deployment-19990101_000000");
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.message).toContain(`has no backup pre-deployment-19990101_000000`);
  });

  it("refuses a manifest whose signature was tampered with, and one naming another host, auditing both", async () => {
    const forger = await forgedAgent("forger");
    const manifest: BackupManifest = { ...scenario.manifest, host: "forger", backupId: "forger-genuine-1" };
    const genuine = await signReport({ kind: "manifest", manifest } satisfies Report, "forger", forger.key.privateJwk);
    forger.send(genuine);
    await forger.acked(reportIdOf(genuine));
    expect((await backupsOf("forger")).map((b) => b.backupId)).toEqual(["forger-genuine-1"]);

    // Same signature over a payload claiming a different backup: the signature no longer matches.
    const [header, payload, signature] = genuine.split(".");
    const claims = JSON.parse(Buffer.from(payload ?? "", "base64url").toString("utf8")) as { report: { manifest: BackupManifest } };
    claims.report.manifest.backupId = "forger-tampered-1";
    forger.send(`${header}.${Buffer.from(JSON.stringify(claims)).toString("base64url")}.${signature}`);
    const refused = await waitUntil(async () => {
      const entries = await auditLines(world);
      return entries.find((e) => e.action === "agent.report-refused" && e.subject === "host:forger");
    }, "the refusal in the audit log");
    expect(refused.details.code).toBe("SIGNATURE_INVALID");

    // Properly signed by forger, but about another host's backup.
    const misaddressed = await signReport(
      { kind: "manifest", manifest: { ...scenario.manifest, backupId: "forger-claims-1" } },
      "forger",
      forger.key.privateJwk,
    );
    forger.send(misaddressed);
    await forger.acked(reportIdOf(misaddressed));
    forger.close();

    expect((await backupsOf("forger")).map((b) => b.backupId)).toEqual(["forger-genuine-1"]);
    expect((await backupsOf(host)).map((b) => b.backupId)).toEqual([fresh.backupId, scenario.manifest.backupId]);
    expect(await objectExists("manifests/forger/forger-tampered-1.json")).toBe(false);
    expect(await objectExists(`manifests/${host}/forger-claims-1.json`)).toBe(false);
    const entries = await auditLines(world);
    expect(entries.find((e) => e.action === "backup.manifest-refused")?.details).toMatchObject({
      backupId: "forger-claims-1",
      reason: `manifest names host ${host}, but forger signed it`,
    });
  });

  it("takes the manifests an agent re-announces on reconnecting without a new audit entry each time (issue 14.9)", async () => {
    const manifestReports = async (): Promise<number> => {
      const row = await (await world.d1())
        .prepare("SELECT count(*) AS n FROM command_reports WHERE host = ? AND kind = 'manifest'")
        .bind(host)
        .first<{ n: number }>();
      return Number(row?.n ?? 0);
    };
    const audited = async (): Promise<number> =>
      (await auditLines(world)).filter((e) => e.action === "agent.report" && e.subject === `host:${host}` && e.details.kind === "manifest").length;
    const [reportsBefore, auditedBefore] = [await manifestReports(), await audited()];
    expect(auditedBefore).toBeGreaterThanOrEqual(2);
    await agent?.stop();
    agent = spawnAgent(scenario.configFile);
    // Both backups announced again: the reports arrive and are acknowledged...
    await waitUntil(async () => ((await manifestReports()) >= reportsBefore + 2 ? true : undefined), "the manifests announced again", 60_000, agent);
    // ...and the audit log did not grow by a full signed copy of each.
    expect(await audited()).toBe(auditedBefore);
    expect(await backupsOf(host)).toHaveLength(2);
  });
});

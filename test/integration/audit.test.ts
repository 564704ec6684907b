// The audit log end to end on the real control plane (workerd + D1 + Durable Objects, s3rver): real
// API actions append entries, checkpoints reach S3, the CLI exports and verifies the log offline
// (exit codes 0/1/2), proofs from the API verify with an independent RFC 9162 implementation, and
// an insider's edit of D1 is caught with its sequence number.
import { cp, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { GetObjectCommand } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { verifyCheckpoint } from "../../shared/audit/checkpoint.ts";
import type { PublicJwk } from "../../shared/signing.ts";
import { generateSigningKey, type KeyPairJwk, signConnectToken, signReport } from "../../shared/signing.ts";
import { exportAndVerifyAudit } from "./audit-check.ts";
import { until } from "./control-plane-client.ts";
import { refLeaf, refVerifyConsistency, refVerifyInclusion } from "../unit/audit-rfc9162-reference.ts";
import { type ControlPlaneWorld, startControlPlane } from "../world/control-plane.ts";
import { type S3World, startS3 } from "../world/s3.ts";
import { type CliResult, runRewindCli } from "../world/rewind-cli.ts";

let s3: S3World;
let world: ControlPlaneWorld;
let auditor: string;
let work: string;
let jwks: PublicJwk[];

const rewind = (...args: string[]): Promise<CliResult> => runRewindCli(args);

async function post(pathname: string, body: unknown, token?: string): Promise<Response> {
  return world.api(pathname, {
    method: "POST",
    body: JSON.stringify(body),
    ...(token === undefined ? {} : { headers: { authorization: `Bearer ${token}` } }),
  });
}

async function createToken(role: string): Promise<string> {
  const response = await post("/v1/tokens", { role, label: `${role} for the audit test` });
  expect(response.status).toBe(201);
  return ((await response.json()) as { token: string }).token;
}

function asAuditor(pathname: string): Promise<Response> {
  return world.api(pathname, { headers: { authorization: `Bearer ${auditor}` } });
}

async function entryCount(): Promise<number> {
  const text = await (await asAuditor("/v1/audit?limit=10000")).text();
  return text.split("\n").filter((line) => line !== "").length;
}

/** Enrolls a host, connects it like an agent, queues a ping and answers with signed reports. */
async function agentRoundTrip(host: string): Promise<KeyPairJwk> {
  const key = await generateSigningKey();
  const enrollment = (await (await post("/v1/enrollments", { host })).json()) as { token: string };
  const enrolled = await fetch(`${world.url}/v1/agents/enroll`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      token: enrollment.token,
      host,
      publicJwk: { kty: "OKP", crv: "Ed25519", x: key.publicJwk.x },
      agentVersion: "0.1.0-test",
    }),
  });
  expect(enrolled.status).toBe(200);
  const token = await signConnectToken(host, "0.1.0-test", key.privateJwk);
  const ws = new WebSocket(`${world.url.replace(/^http/, "ws")}/v1/agents/connect`, {
    headers: { authorization: `Bearer ${token}` },
  });
  const frames: { t: string; id?: string }[] = [];
  ws.on("message", (data) => frames.push(JSON.parse(String(data)) as { t: string; id?: string }));
  await new Promise((resolve, reject) => {
    ws.on("open", resolve);
    ws.on("error", reject);
  });
  const queued = await post(`/v1/hosts/${host}/commands`, { action: { type: "ping" } });
  expect(queued.status).toBe(202);
  const { commandId } = (await queued.json()) as { commandId: string };
  await until("the command frame", async () => frames.some((f) => f.t === "command" && f.id === commandId), Boolean);
  for (const report of [
    { kind: "ack" as const, commandId },
    { kind: "result" as const, commandId, ok: true, output: { pong: true } },
  ]) {
    ws.send(JSON.stringify({ t: "report", jws: await signReport(report, host, key.privateJwk) }));
  }
  await until(
    "both report acks",
    async () => frames.filter((f) => f.t === "report-ack").length,
    (n) => n === 2,
  );
  ws.close();
  return key;
}

async function s3Checkpoint(key: string): Promise<string | undefined> {
  try {
    const object = await s3.client.send(new GetObjectCommand({ Bucket: world.s3Bucket, Key: key }));
    return await object.Body?.transformToString();
  } catch {
    return undefined;
  }
}

async function latestPublished(size: number): Promise<string> {
  try {
    const note = await until(
      `checkpoint ${size} in S3`,
      () => s3Checkpoint("checkpoints/latest.txt"),
      (text) => text?.split("\n")[1] === String(size),
    );
    return note ?? "";
  } catch (error) {
    const failures = world.logs().filter((line) => line.includes("audit.checkpoint_publish_failed"));
    throw new Error(`${(error as Error).message}; the Worker logged: ${failures.slice(-1).join("") || "nothing"}`);
  }
}

beforeAll(async () => {
  s3 = await startS3();
  world = await startControlPlane({ s3 });
  work = await mkdtemp(path.join(tmpdir(), "rewind-audit-test-"));
  jwks = ((await (await fetch(`${world.url}/.well-known/jwks.json`)).json()) as { keys: PublicJwk[] }).keys;
  auditor = await createToken("auditor");
});

afterAll(async () => {
  await world?.stop();
  await s3?.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

describe("audit log on the control plane", () => {
  let keptCheckpoint: string;

  it("records real API actions, publishes checkpoints to S3 and refuses non-auditors", async () => {
    const viewer = await createToken("viewer");
    expect((await post("/v1/tokens", { role: "viewer", label: "nope" }, viewer)).status).toBe(403);
    const forbidden = await world.api("/v1/audit", { headers: { authorization: `Bearer ${viewer}` } });
    expect(forbidden.status).toBe(403);
    await agentRoundTrip("audit-1");

    const size = await entryCount();
    const lines = (await (await asAuditor("/v1/audit")).text()).split("\n").filter(Boolean);
    const actions = lines.map((line) => (JSON.parse(line) as { action: string }).action);
    expect(actions).toEqual(expect.arrayContaining(["token.created", "auth.forbidden", "agent.report"]));
    expect(lines.map((line) => (JSON.parse(line) as { seq: number }).seq)).toEqual([...Array(size).keys()]);

    keptCheckpoint = await (await asAuditor("/v1/audit/checkpoint")).text();
    const head = await verifyCheckpoint(keptCheckpoint, jwks);
    expect(head).toMatchObject({ origin: "rewind.test/audit", size });
    expect(await latestPublished(size)).toBe(keptCheckpoint);
    expect(await s3Checkpoint(`checkpoints/${size}.txt`)).toBe(keptCheckpoint);
  });

  it("exports with the CLI and verifies offline: valid, tampered (exit 1 naming the seq), unusable (exit 2)", async () => {
    await agentRoundTrip("audit-2");
    const dir = path.join(work, "export-1");
    const exported = await rewind("audit", "export", "--url", world.url, "--token", auditor, "--out", dir);
    expect(exported).toMatchObject({ code: 0 });
    const jwksFile = path.join(dir, "jwks.json");

    const valid = await rewind("audit", "verify", dir, "--key", jwksFile, "--previous-checkpoint", await keep(keptCheckpoint));
    expect(valid.stdout).toContain("VALID");
    expect(valid.code).toBe(0);
    const viaUrl = await rewind("audit", "verify", path.join(dir, "audit.ndjson"), "--key", `${world.url}/.well-known/jwks.json`, "--json");
    const summary = JSON.parse(viaUrl.stdout) as { ok: boolean; entries: number; agentReports: number; checkpointsChecked: number };
    expect(viaUrl.code).toBe(0);
    expect(summary.ok).toBe(true);
    expect(summary.agentReports).toBe(4);
    expect(summary.checkpointsChecked).toBe(summary.entries + 1);

    const tampered = path.join(work, "tampered");
    await cp(dir, tampered, { recursive: true });
    const lines = (await readFile(path.join(tampered, "audit.ndjson"), "utf8")).split("\n");
    const target = lines.findIndex((line) => line.includes('"action":"token.created"') && line.includes('"role":"viewer"'));
    expect(target).toBeGreaterThan(0);
    lines[target] = (lines[target] ?? "").replace('"role":"viewer"', '"role":"operator"');
    await writeFile(path.join(tampered, "audit.ndjson"), lines.join("\n"));
    const invalid = await rewind("audit", "verify", tampered, "--key", jwksFile);
    expect(invalid.code).toBe(1);
    expect(invalid.stdout).toContain(`INVALID at seq ${target} (ROOT_MISMATCH)`);

    const noKey = await rewind("audit", "verify", dir, "--key", path.join(work, "missing.json"));
    expect(noKey.code).toBe(2);
    const noExport = await rewind("audit", "verify", path.join(work, "nowhere"), "--key", jwksFile);
    expect(noExport.code).toBe(2);
    const noArgs = await rewind("audit", "verify", dir);
    expect(noArgs.code).toBe(2);
  });

  it("serves inclusion and consistency proofs that an independent RFC 9162 implementation accepts", async () => {
    const lines = (await (await asAuditor("/v1/audit")).text()).split("\n").filter(Boolean);
    const size = lines.length;
    for (const [index, treeSize] of [
      [0, 1],
      [0, size],
      [3, 7],
      [size - 1, size],
      [Math.floor(size / 2), size],
    ] as const) {
      const proof = (await (await asAuditor(`/v1/audit/proof/inclusion?index=${index}&size=${treeSize}`)).json()) as {
        proof: string[];
        root: string;
        leafHash: string;
        checkpoint: string;
      };
      const signed = await verifyCheckpoint(proof.checkpoint, jwks);
      const signedRoot = Buffer.from(signed.root);
      const leaf = refLeaf(Buffer.from(lines[index] ?? ""));
      expect(proof.leafHash).toBe(leaf.toString("hex"));
      const path_ = proof.proof.map((hex) => Buffer.from(hex, "hex"));
      expect(refVerifyInclusion(leaf, index, treeSize, path_, signedRoot)).toBe(true);
      expect(refVerifyInclusion(refLeaf(Buffer.from("forged")), index, treeSize, path_, signedRoot)).toBe(false);
    }
    for (const [from, to] of [
      [1, size],
      [4, 8],
      [5, size],
      [size - 1, size],
      [size, size],
    ] as const) {
      const response = (await (await asAuditor(`/v1/audit/proof/consistency?from=${from}&to=${to}`)).json()) as {
        proof: string[];
        fromCheckpoint: string;
        toCheckpoint: string;
      };
      const older = Buffer.from((await verifyCheckpoint(response.fromCheckpoint, jwks)).root);
      const newer = Buffer.from((await verifyCheckpoint(response.toCheckpoint, jwks)).root);
      const proof = response.proof.map((hex) => Buffer.from(hex, "hex"));
      expect(refVerifyConsistency(from, to, proof, older, newer)).toBe(true);
      if (from < to) expect(refVerifyConsistency(from, to, proof, newer, newer)).toBe(false);
    }
    const bad = await asAuditor(`/v1/audit/proof/inclusion?index=0&size=${size + 100}`);
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { code: string } }).error.code).toBe("BAD_REQUEST");
  });

  it("still verifies reports a host signed before it re-enrolled with a new key", async () => {
    const first = await agentRoundTrip("audit-rekey");
    const second = await agentRoundTrip("audit-rekey");
    const dir = path.join(work, "export-rekey");
    const result = await exportAndVerifyAudit(world, dir);
    expect(result).toMatchObject({ ok: true });
    const keys = JSON.parse(await readFile(path.join(dir, "agent-keys.json"), "utf8")) as { hosts: Record<string, { x: string }[]> };
    expect(keys.hosts["audit-rekey"]?.map((key) => key.x)).toEqual([first.publicJwk.x, second.publicJwk.x]);
  });

  it("keeps appending gap-free after a restart, and catches an insider's edit of D1 by its seq", async () => {
    await world.restart();
    await createToken("viewer");
    const size = await entryCount();
    const lines = (await (await asAuditor("/v1/audit")).text()).split("\n").filter(Boolean);
    expect(lines.map((line) => (JSON.parse(line) as { seq: number }).seq)).toEqual([...Array(size).keys()]);
    const clean = await exportAndVerifyAudit(world, path.join(work, "export-after-restart"));
    expect(clean).toMatchObject({ ok: true, agentReports: 8 });
    expect(clean.entries).toBeGreaterThan(size);

    const victim = 2;
    const original = lines[victim] ?? "";
    const forged = original.replace(/"subject":"[^"]*"/, '"subject":"token:nobody"');
    await (await world.d1()).prepare("UPDATE audit_entries SET entry = ? WHERE seq = ?").bind(forged, victim).run();
    const dir = path.join(work, "export-insider");
    // The auditor logs in once (token on stdin); the export then needs no token in argv.
    const cliConfig = ["--cli-config", path.join(work, "auditor-cli.json")];
    expect((await runRewindCli(["login", "--url", world.url, ...cliConfig], { input: auditor })).code).toBe(0);
    expect((await rewind("audit", "export", "--out", dir, ...cliConfig)).code).toBe(0);
    const result = await rewind("audit", "verify", dir, "--key", path.join(dir, "jwks.json"), "--json");
    expect(result.code).toBe(1);
    expect(JSON.parse(result.stdout)).toMatchObject({ ok: false, problem: "ROOT_MISMATCH", firstBadSeq: victim });
  });
});

async function keep(note: string): Promise<string> {
  const file = path.join(work, `kept-${Date.now()}.txt`);
  await writeFile(file, note);
  return file;
}

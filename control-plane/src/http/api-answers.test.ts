// The operator API has one description (shared/schemas/api.ts). This test sends what the server's own
// code builds (the same functions its routes answer with, and its real error handler) through the
// CLI's HTTP client and the console's readers: a server change either client would not parse fails
// here, and so does a client that stopped reading an answer the server sends.
import { Hono } from "hono";
import { afterEach, describe, expect, it, vi } from "vitest";
import { ApiClient } from "../../../agent/src/api-client.ts";
import { backupSummaryOf } from "../backups/routes.ts";
import type { BackupRow } from "../backups/catalog.ts";
import type { hosts } from "../db/schema.ts";
import type { AppEnv } from "./app-env.ts";
import { notFound, onError } from "./errors.ts";
import { detailOf, type RollbackRow, summaryOf } from "../rollbacks/worker/read.ts";
import { hostSummaryOf } from "../routes/hosts.ts";
import { RewindError } from "../../../shared/errors.ts";
import { backupList, hostList, rollbackDetail, rollbackList } from "../../../shared/schemas/api.ts";

// The console's JS is typechecked in its own DOM project (console/client/tsconfig.json); here it is
// loaded as the browser gets it and described only as far as these checks read it.
interface ConsoleReaders {
  readRollback(body: unknown): { state: string; approvals: unknown[]; steps: { step: string; state: string }[]; outcome?: { code?: string } };
  readRollbacks(body: unknown): { rollbackId: string }[];
  readHosts(body: unknown): unknown[];
  readBackups(body: unknown): { gitCommit: string }[];
}
interface ConsoleApi {
  ApiError: new (...args: never[]) => Error;
  createApi(token: string): { get(path: string): Promise<unknown> };
}
const consoleModule = (name: string): Promise<unknown> => import(`../console/client/${name}.js`);
const { readBackups, readHosts, readRollback, readRollbacks } = (await consoleModule("resources")) as ConsoleReaders;
const { ApiError, createApi } = (await consoleModule("api")) as ConsoleApi;

const t0 = Date.parse("2026-01-01T12:00:00.000Z");

const freshRollback: RollbackRow = {
  id: "rb-00000001",
  host: "web-1",
  backupId: "pre-deployment-20260101_120000",
  mode: "full",
  reason: "v2 failing",
  state: "pending-approval",
  requestedBy: "op-alice",
  requester: JSON.stringify({ kind: "token", tokenId: "op-alice", role: "operator" }),
  automatic: false,
  source: null,
  commandId: null,
  approvalsRequired: 1,
  approvals: "[]",
  expiresAt: t0 + 900_000,
  downtimeMs: null,
  outcome: null,
  createdAt: t0,
  updatedAt: t0,
};

const endedRollback: RollbackRow = {
  ...freshRollback,
  id: "rb-00000002",
  state: "undone",
  source: "alertmanager",
  automatic: true,
  commandId: "cmd-00000002",
  approvals: JSON.stringify([{ tokenId: "op-bob", at: t0 + 1000 }]),
  expiresAt: null,
  downtimeMs: 4200,
  outcome: JSON.stringify({ code: "VERIFY_FAILED", message: "health check failed; undone" }),
  updatedAt: t0 + 60_000,
};

const progress = [
  { kind: "progress", commandId: "cmd-00000002", step: "preflight", state: "running", startedAt: "2026-01-01T12:00:01.000Z" },
  { kind: "progress", commandId: "cmd-00000002", step: "preflight", state: "succeeded", durationMs: 800, message: "disk ok" },
  { kind: "progress", commandId: "cmd-00000002", step: "undo", state: "succeeded", durationMs: 3000 },
].map((report) => JSON.stringify(report));

const hostRow: typeof hosts.$inferSelect = {
  name: "web-1",
  publicJwk: "{}",
  fingerprint: "SHA256:abc",
  enrolledAt: t0,
  agentVersion: "0.1.0",
  lastSeenAt: null,
  online: false,
  connectionId: null,
  requireApproval: true,
  approvalsRequired: 2,
  approvalWindowSeconds: 900,
};

const backupRow: BackupRow = {
  host: "web-1",
  backupId: "pre-deployment-20260101_120000",
  createdAt: t0,
  timestamp: "20260101_120000",
  gitCommit: "0123456789abcdef0123456789abcdef01234567",
  gitBranch: "main",
  storage: "s3",
  objectKey: "web-1/pre-deployment-20260101_120000/manifest.json",
  sha256: "00".repeat(32),
  verified: true,
  origin: "seed",
  indexedAt: t0,
};

/** The CLI's real client, answered with `body` as the server would send it. */
function cliAnswering(body: unknown, status = 200): ApiClient {
  return new ApiClient({ url: "http://control-plane.test", token: "t" }, async () => new Response(JSON.stringify(body), { status }));
}

describe("the server's answers parse in the CLI and the console", () => {
  it("rollback detail, fresh and ended with steps, approvals and outcome", async () => {
    for (const [row, bodies] of [
      [freshRollback, []],
      [endedRollback, progress],
    ] as const) {
      const sent = JSON.parse(JSON.stringify(detailOf(row, bodies)));
      const cli = await cliAnswering(sent).get(`/v1/rollbacks/${row.id}`, rollbackDetail);
      expect(cli).toEqual(sent);
      const consoleView = readRollback(sent);
      expect(consoleView.state).toBe(row.state);
      expect(consoleView.approvals.length).toBe(JSON.parse(row.approvals).length);
    }
    const ended = readRollback(JSON.parse(JSON.stringify(detailOf(endedRollback, progress))));
    expect(ended.steps.map((step) => [step.step, step.state])).toEqual([
      ["preflight", "succeeded"],
      ["undo", "succeeded"],
    ]);
    expect(ended.outcome?.code).toBe("VERIFY_FAILED");
  });

  it("rollback list, host list and backup list", async () => {
    const rollbacks = JSON.parse(JSON.stringify({ rollbacks: [summaryOf(endedRollback), summaryOf(freshRollback)] }));
    expect(await cliAnswering(rollbacks).get("/v1/rollbacks", rollbackList)).toEqual(rollbacks);
    expect(readRollbacks(rollbacks).map((rollback) => rollback.rollbackId)).toEqual(["rb-00000002", "rb-00000001"]);

    const newest = { backupId: backupRow.backupId, createdAt: new Date(t0).toISOString() };
    const hostsSent = JSON.parse(
      JSON.stringify({ hosts: [hostSummaryOf(hostRow, null), hostSummaryOf({ ...hostRow, name: "web-2", online: true, lastSeenAt: t0 }, newest)] }),
    );
    expect(await cliAnswering(hostsSent).get("/v1/hosts", hostList)).toEqual(hostsSent);
    expect(readHosts(hostsSent)).toEqual([
      { name: "web-1", online: false, lastSeen: "", agentVersion: "0.1.0", newestBackup: undefined },
      { name: "web-2", online: true, lastSeen: newest.createdAt, agentVersion: "0.1.0", newestBackup: newest },
    ]);

    const backupsSent = JSON.parse(JSON.stringify({ backups: [backupSummaryOf(backupRow)] }));
    expect(await cliAnswering(backupsSent).get("/v1/hosts/web-1/backups", backupList)).toEqual(backupsSent);
    expect(readBackups(backupsSent)[0]?.gitCommit).toBe(backupRow.gitCommit);
  });

  it("an answer missing what the clients need is refused by both, not half shown", async () => {
    const { steps: _dropped, ...withoutSteps } = JSON.parse(JSON.stringify(detailOf(freshRollback, [])));
    await expect(cliAnswering(withoutSteps).get("/v1/rollbacks/rb-00000001", rollbackDetail)).rejects.toMatchObject({ code: "MALFORMED" });
    expect(() => readRollback(withoutSteps)).toThrow(ApiError);
    expect(() => readRollback(withoutSteps)).toThrow(/steps/);
  });
});

describe("the server's error body reaches both clients with its code", () => {
  const app = new Hono<AppEnv>()
    .get("/v1/rollbacks", () => {
      throw new RewindError("CONFLICT", "a rollback is already in flight on web-1", { details: { rollbackId: "rb-00000001" } });
    })
    .onError(onError)
    .notFound(notFound);
  const serve = (input: RequestInfo | URL, init?: RequestInit) => app.request(input instanceof Request ? input : String(input), init);

  afterEach(() => {
    vi.unstubAllGlobals();
  });

  it("CLI", async () => {
    const cli = new ApiClient({ url: "http://control-plane.test", token: "t" }, serve as typeof fetch);
    const conflict = await cli.get("/v1/rollbacks", rollbackList).catch((error: unknown) => error);
    expect(conflict).toBeInstanceOf(RewindError);
    expect(conflict).toMatchObject({ code: "CONFLICT", message: "a rollback is already in flight on web-1", details: { rollbackId: "rb-00000001" } });
    await expect(cli.get("/v1/nothing", rollbackList)).rejects.toMatchObject({ code: "NOT_FOUND", message: "no route for GET /v1/nothing" });
  });

  it("console", async () => {
    vi.stubGlobal("fetch", (path: string, init?: RequestInit) => serve(`http://control-plane.test${path}`, init));
    const api = createApi("t");
    const conflict = await api.get("/v1/rollbacks").catch((error: unknown) => error);
    expect(conflict).toBeInstanceOf(ApiError);
    expect(conflict).toMatchObject({ status: 409, code: "CONFLICT", details: { rollbackId: "rb-00000001" } });
    await expect(api.get("/v1/nothing")).rejects.toMatchObject({ status: 404, code: "NOT_FOUND" });
  });
});

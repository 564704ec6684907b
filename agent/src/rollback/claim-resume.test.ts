// Start-up's claim on the host for an interrupted rollback, on a real state dir: it waits while
// another holder has the host and takes it once freed, gives up (LOCKED) past its bound, and stops
// waiting when the agent stops.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { isRewindError } from "../../../shared/errors.ts";
import type { AgentConfig } from "../config.ts";
import { acquireHostLock } from "../host/host-lock.ts";
import { claimInterruptedRollback } from "./claim-resume.ts";
import { appendJournal, journalPath } from "./journal-file.ts";
import { lockPath } from "./lock-file.ts";

const rollbackId = "rb-claim-0001";
let stateDir: string;
let config: AgentConfig;

beforeEach(async () => {
  stateDir = await mkdtemp(path.join(tmpdir(), "rewind-claim-"));
  config = { stateDir } as AgentConfig;
});
afterEach(async () => {
  await rm(stateDir, { recursive: true, force: true });
});

/** A rollback asked for by command `cmd-claim-1`, killed in its stage step: its journal has no end. */
async function interrupted(): Promise<void> {
  const request = { rollbackId, backup: { kind: "last" as const }, mode: "full" as const, reason: "test", commandId: "cmd-claim-1" };
  const file = journalPath(stateDir, rollbackId);
  await appendJournal(file, { kind: "begin", at: new Date().toISOString(), pid: 1, request });
  await appendJournal(file, { kind: "start", at: new Date().toISOString(), step: "stage" });
  await writeFile(lockPath(stateDir), JSON.stringify({ rollbackId, pid: 1, acquiredAt: new Date().toISOString() }));
}

const options = (signal = new AbortController().signal, busy: string[] = []) => ({
  signal,
  maxWaitMs: 5000,
  pollMs: 50,
  onBusy: (id: string, reason: string) => busy.push(`${id}: ${reason}`),
});

describe("claiming the host for an interrupted rollback", () => {
  it("finds nothing to do on a host without one", async () => {
    expect(await claimInterruptedRollback(config, options())).toBeUndefined();
  });

  it("waits while another process holds the host, then takes it for the resume", async () => {
    await interrupted();
    const backup = await acquireHostLock(stateDir, "backup");
    const busy: string[] = [];
    const claiming = claimInterruptedRollback(config, options(undefined, busy));
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(busy.length).toBeGreaterThan(1);
    expect(busy[0]).toMatch(new RegExp(`^${rollbackId}: this host is busy: backup \\(pid ${process.pid}`));
    await backup.release();

    const claim = await claiming;
    expect(claim).toMatchObject({ rollbackId, commandId: "cmd-claim-1" });
    expect(claim?.lock.record.operation).toBe(`rollback --resume ${rollbackId}`);
    await claim?.lock.release();
  });

  it("gives up with LOCKED, saying how to resume, once the host stayed busy past the bound", async () => {
    await interrupted();
    const backup = await acquireHostLock(stateDir, "backup");
    try {
      const error = await claimInterruptedRollback(config, { ...options(), maxWaitMs: 200 }).catch((e: unknown) => e);
      expect(isRewindError(error, "LOCKED")).toBe(true);
      expect((error as Error).message).toContain(`rollback ${rollbackId} was interrupted and the host stayed busy`);
      expect((error as Error).message).toContain("rewind rollback --local --resume");
    } finally {
      await backup.release();
    }
  });

  it("stops waiting when the agent stops", async () => {
    await interrupted();
    const backup = await acquireHostLock(stateDir, "backup");
    try {
      const stopping = new AbortController();
      const claiming = claimInterruptedRollback(config, options(stopping.signal));
      setTimeout(() => stopping.abort(), 100);
      expect(await claiming).toBeUndefined();
    } finally {
      await backup.release();
    }
  });
});

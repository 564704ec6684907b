// Retention after a successful rollback, where every part of it fails on real connections: the
// PostgreSQL server holding the set-aside databases refuses connections, and so does the Docker
// engine holding the image holds. The report keeps each failure, and says what to remove by hand.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import Docker from "dockerode";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { freePort } from "../../../infra/demo-stack/free-port.ts";
import { type AgentConfig, parseAgentConfig } from "../config.ts";
import { releaseOlderSetAside } from "./release-set-aside.ts";
import type { RollbackReport } from "./report.ts";

let root: string;
let config: AgentConfig;
let docker: Docker;

beforeEach(async () => {
  root = await mkdtemp(path.join(tmpdir(), "rewind-release-set-aside-"));
  // Nothing listens on either: every call fails the way an unreachable server does.
  const project = { name: "shop", dir: "project", database: { adminUrl: `postgres://postgres@127.0.0.1:${await freePort()}/postgres`, name: "shop" } };
  config = parseAgentConfig({ host: "web-1", stateDir: "state", project }, "test", root);
  docker = new Docker({ socketPath: path.join(root, "no-docker.sock") });
});

afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

function succeeded(mode: RollbackReport["mode"], retentionError?: string): RollbackReport {
  return {
    rollbackId: "rb-current",
    state: "succeeded",
    mode,
    dryRun: false,
    reason: "v2 is broken",
    startedAt: "2026-12-03T06:00:00.000Z",
    steps: [],
    logExcerpts: {},
    ...(retentionError === undefined ? {} : { retentionError }),
  };
}

describe("retention failures after a successful rollback", () => {
  it("reports the set-aside prune and the image-hold release failing together, each with what to remove by hand", async () => {
    const report = succeeded("full");
    await releaseOlderSetAside(config, docker, report);
    const failures = report.retentionError?.split("\n") ?? [];
    expect(failures).toEqual([
      expect.stringMatching(/^pruning older rollbacks' set-aside data copies failed \(.+\); they stay kept: drop the databases and remove the directories/),
      expect.stringMatching(/^releasing older rollbacks' image holds failed \(.+\); they stay tagged: remove the rewind-keep\/shop\/ tags/),
    ]);
    expect(report.prunedSetAside).toBeUndefined();
    expect(report.releasedImages).toBeUndefined();
  });

  it("keeps an earlier failure of the same run, and tries only the image holds after a code-only rollback", async () => {
    const report = succeeded("code-only", "removing the bad release's retired containers failed: boom");
    await releaseOlderSetAside(config, docker, report);
    const failures = report.retentionError?.split("\n") ?? [];
    expect(failures).toHaveLength(2);
    expect(failures[0]).toBe("removing the bad release's retired containers failed: boom");
    expect(failures[1]).toMatch(/^releasing older rollbacks' image holds failed/);
  });
});

// A rollback that will start the release with the Compose CLI (its backup recorded no container
// configuration: the seed's own) checks that a Compose CLI answers in preflight, before any
// service stops: found missing in the start step, the host would be down and then undone.
import { mkdir, mkdtemp, readdir, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import type Docker from "dockerode";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { manifestPath, readManifest } from "../../agent/src/backup/manifest-file.ts";
import type { RollbackReport } from "../../agent/src/rollback/report.ts";
import { runRollback } from "../../agent/src/rollback/run-rollback.ts";
import { requireDocker } from "../world/docker.ts";
import { type ComposeRelease, prepareComposeRelease } from "./compose-release-fixture.ts";

/** A PATH with every command of this machine but `docker` and `docker-compose`. */
async function pathWithoutCompose(root: string): Promise<string> {
  const bin = path.join(root, "bin-without-compose");
  await mkdir(bin);
  for (const dir of ["/usr/local/bin", "/usr/bin", "/bin"]) {
    const names = await readdir(dir).catch(() => [] as string[]);
    for (const name of names) {
      if (name === "docker" || name === "docker-compose") continue;
      await symlink(path.join(dir, name), path.join(bin, name)).catch(() => undefined);
    }
  }
  return bin;
}

describe("a rollback started with Compose on a host where no Compose CLI answers", () => {
  let docker: Docker;
  let world: ComposeRelease;
  let report: RollbackReport;
  let before: Record<string, string>;
  let root: string;

  beforeAll(async () => {
    docker = await requireDocker();
    world = await prepareComposeRelease(docker);
    const { containers: _recorded, ...older } = await readManifest(world.backupDir);
    await writeFile(manifestPath(world.backupDir), `${JSON.stringify({ ...older, services: [] }, null, 2)}\n`);
    before = Object.fromEntries((await world.containers()).map((c) => [c.service, `${c.id} ${c.state}`]));
    root = await mkdtemp(path.join(tmpdir(), "rewind-no-compose-"));
    const saved = process.env.PATH;
    process.env.PATH = await pathWithoutCompose(root);
    try {
      report = await runRollback(
        world.config,
        { rollbackId: `rb-nocompose-${world.runId}`, backup: { kind: "manifest", dir: world.backupDir }, mode: "full", reason: "no compose" },
        { docker, signal: new AbortController().signal, onProgress: () => undefined },
      );
    } finally {
      process.env.PATH = saved;
    }
  });

  afterAll(async () => {
    await world?.cleanup();
    if (root) await rm(root, { recursive: true, force: true });
  });

  it("stops in preflight with the services untouched", async () => {
    expect(report.state).toBe("failed");
    expect(report.error).toMatchObject({ step: "preflight", code: "PREFLIGHT_FAILED" });
    expect(report.error?.message).toContain("no Compose CLI on this host");
    expect(Object.fromEntries((await world.containers()).map((c) => [c.service, `${c.id} ${c.state}`]))).toEqual(before);
  });
});

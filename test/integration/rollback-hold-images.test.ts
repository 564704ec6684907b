// A rollback holds the pre-rollback release's images by tags of its own. On the Compose start path
// the release's tags move to the backup's images, so without the hold the bad release's image is
// dangling once its containers are replaced, and a `docker image prune` during the rollback would
// leave the undo nothing to start. The holds are released like the other set-aside copies: not
// before the minimum age, and then only beyond the newest `setAside` rollbacks; a hold whose image a
// container uses stays.
import { execFileSync } from "node:child_process";
import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import type Docker from "dockerode";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { keepTag } from "../../agent/src/backup/keep-images.ts";
import { manifestPath, readManifest } from "../../agent/src/backup/manifest-file.ts";
import type { AgentConfig } from "../../agent/src/config.ts";
import { containerLogs, imageIdOf } from "../../agent/src/host/docker-start.ts";
import type { RollbackProgress } from "../../agent/src/rollback/executor.ts";
import { releaseHeldImages } from "../../agent/src/rollback/hold-images.ts";
import { shortId } from "../../agent/src/rollback/names.ts";
import type { RollbackReport } from "../../agent/src/rollback/report.ts";
import { runRollback } from "../../agent/src/rollback/run-rollback.ts";
import { RUN_LABEL, requireDocker, testLabels } from "../world/docker.ts";
import { freePort } from "../world/ports.ts";
import { type ComposeRelease, prepareComposeRelease } from "./compose-release-fixture.ts";

async function rollBack(
  docker: Docker,
  world: ComposeRelease,
  id: string,
  config: AgentConfig,
  onProgress: (event: RollbackProgress) => void = () => undefined,
) {
  return runRollback(
    config,
    { rollbackId: `${id}-${world.runId}`, backup: { kind: "manifest", dir: world.backupDir }, mode: "full", reason: "hold images" },
    { docker, signal: new AbortController().signal, onProgress },
  );
}

async function tagsOf(docker: Docker, imageId: string): Promise<string[]> {
  return (await docker.getImage(imageId).inspect()).RepoTags ?? [];
}

describe("a Compose rollback undone after a `docker image prune` removed what nothing tagged", () => {
  let docker: Docker;
  let world: ComposeRelease;
  let report: RollbackReport;
  let v2Image: string;
  let pruned = "";
  let secondReport: RollbackReport;

  beforeAll(async () => {
    docker = await requireDocker();
    world = await prepareComposeRelease(docker);
    // A backup from before container configuration was recorded: the start step points tags back and runs Compose.
    const { containers: _recorded, ...older } = await readManifest(world.backupDir);
    await writeFile(manifestPath(world.backupDir), `${JSON.stringify(older, null, 2)}\n`);
    // v2's services share one image; only web and migrate name it (v1 has no `extra` to keep it alive).
    await world.compose("rm", "-s", "-f", "extra");
    const web = (await world.containers()).find((c) => c.service === "web");
    v2Image = web?.imageId ?? "";
    for (const tag of await tagsOf(docker, v2Image)) if (tag.includes("extra")) await docker.getImage(tag).remove();
    const smokeChecks = [{ name: "nothing listens", url: `http://127.0.0.1:${await freePort()}/`, expectStatus: 200 }];
    const config = { ...world.config, project: { ...world.config.project, smokeChecks } };
    report = await rollBack(docker, world, "rb-hold", config, (event) => {
      // Once the backup's release runs: an operator's (or cron's) prune, of this test's images only.
      if (event.step === "verify" && pruned === "") {
        pruned = execFileSync("docker", ["image", "prune", "-f", "--filter", `label=${RUN_LABEL}=${world.runId}`], { encoding: "utf8" }) || "ran";
      }
    });
  });

  afterAll(async () => {
    await world?.cleanup();
  });

  it("holds the bad release's image by a tag of its own and names it in the report", async () => {
    expect(pruned).not.toBe("");
    const held = (report.heldImages ?? []).sort();
    const before = `before-${shortId(report.rollbackId)}`;
    expect(held).toEqual([keepTag(world.project, "migrate", before), keepTag(world.project, "web", before)]);
    for (const tag of held) expect(await imageIdOf(docker, tag)).toBe(v2Image);
  });

  it("the undo brings the bad release back on its own image", async () => {
    expect(report.state).toBe("undone");
    const web = (await world.containers()).find((c) => c.service === "web");
    expect(web?.imageId).toBe(v2Image);
    expect(web?.state).toBe("running");
    expect(await containerLogs(docker, web?.id ?? "")).toContain("app v2");
    expect((await docker.getContainer(web?.id ?? "").inspect()).Config.Env).toContain("GREETING=hello-v2");
  });

  it("releases the holds after their minimum age, beyond the newest rollback, and not before", async () => {
    const config = { ...world.config, retention: { ...world.config.retention, setAside: 1 } };
    const second = await rollBack(docker, world, "rb-hold2", config);
    expect(second.error).toBeUndefined();
    expect(second.state).toBe("succeeded");
    // The first rollback's holds are minutes old: the minimum age is a week.
    expect(second.releasedImages).toEqual([]);
    const first = report.heldImages ?? [];
    for (const tag of first) expect(await imageIdOf(docker, tag)).toBe(v2Image);
    expect(await releaseHeldImages(config, docker, `rb-none-${world.runId}`)).toEqual({ released: [], inUse: [] });

    const reportFile = path.join(config.stateDir, "rollbacks", report.rollbackId, "report.json");
    const aged = { ...JSON.parse(await readFile(reportFile, "utf8")), finishedAt: new Date(Date.now() - 8 * 24 * 3600 * 1000).toISOString() };
    await writeFile(reportFile, JSON.stringify(aged));
    const released = await releaseHeldImages(config, docker, `rb-none-${world.runId}`);
    expect(released.released.sort()).toEqual([...first].sort());
    for (const tag of first) expect(await imageIdOf(docker, tag)).toBeUndefined();
    // The newest rollback's holds stay, and with them the image.
    expect(second.heldImages?.length).toBeGreaterThan(0);
    for (const tag of second.heldImages ?? []) expect(await imageIdOf(docker, tag)).toBe(v2Image);
    secondReport = second;
  });

  it("keeps a hold whose image a container still uses, and says so", async () => {
    const config = { ...world.config, retention: { ...world.config.retention, setAside: 1 } };
    const third = await rollBack(docker, world, "rb-hold3", config);
    expect(third.state).toBe("succeeded");
    // Nothing but the second rollback's two holds names v2's image now; a container of it is kept stopped.
    const user = await docker.createContainer({ Image: v2Image, Cmd: ["true"], name: `rewind-hold-user-${world.runId}`, Labels: testLabels(world.runId) });
    try {
      const reportFile = path.join(config.stateDir, "rollbacks", secondReport.rollbackId, "report.json");
      const aged = { ...JSON.parse(await readFile(reportFile, "utf8")), finishedAt: new Date(Date.now() - 8 * 24 * 3600 * 1000).toISOString() };
      await writeFile(reportFile, JSON.stringify(aged));
      const holds = [...(secondReport.heldImages ?? [])].sort();
      const { released, inUse } = await releaseHeldImages(config, docker, `rb-none-${world.runId}`);
      // The first tag goes (another still names the image); the last one Docker refuses to take from a used image.
      expect([...released, ...inUse].sort()).toEqual(holds);
      expect(inUse).toHaveLength(1);
      expect(await imageIdOf(docker, inUse[0] ?? "")).toBe(v2Image);
      for (const tag of third.heldImages ?? []) expect(await imageIdOf(docker, tag)).toBeDefined();
    } finally {
      await user.remove({ force: true });
    }
  });
});

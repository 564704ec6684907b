// After a failure past the point of no return: put the previous state back. Stop whatever the
// rollback started, swap the set-aside database and MinIO data back, return git to the documented
// commit, recreate the pre-rollback containers from their journaled specs. Idempotent, like the steps.
import type { ReportedStepId } from "../../../../shared/schemas/rollback.ts";
import { listProjectContainers } from "../../host/compose.ts";
import { stopContainer } from "../../host/docker-start.ts";
import { checkoutCommit, gitHead } from "../../host/git.ts";
import { dropDatabase, unswapDatabases } from "../../host/postgres-restore.ts";
import { swapPaths, unswapVolumeData, volumeDataDir } from "../../host/volume.ts";
import { setAsideDataDir, setAsideDatabase, stagedDataDir, stagedDatabase } from "../names.ts";
import { keptRunning, stopOrder } from "../order.ts";
import type { StepContext, StepOutput } from "../step-context.ts";
import { documentedOf } from "../step-context.ts";
import { discardStaged } from "./discard-staged.ts";
import { startContainers } from "./start.ts";

export async function undo(ctx: StepContext, reached: ReadonlySet<ReportedStepId>): Promise<StepOutput> {
  const { config, request, docker } = ctx;
  const documented = documentedOf(ctx);
  const touched = stopOrder(documented.containers, config.project.infraServices, keptRunning(request.mode, config.project.database?.service));
  for (const spec of touched) await stopContainer(docker, spec.name, config.thresholds.stopTimeoutSeconds);
  const actions: string[] = [];
  if (reached.has("swap")) {
    const database = config.project.database;
    if (database) {
      const names = { live: database.name, stage: stagedDatabase(database.name), aside: setAsideDatabase(database.name, request.rollbackId) };
      await unswapDatabases(database.adminUrl, names);
      await dropDatabase(database.adminUrl, names.stage);
      actions.push(`database ${names.aside} back as ${names.live}`);
    }
    const minio = config.project.minio;
    if (minio) {
      const paths = swapPaths(await volumeDataDir(docker, minio.volume), stagedDataDir(request.rollbackId), setAsideDataDir(request.rollbackId));
      await unswapVolumeData(paths);
      actions.push(`MinIO data ${paths.aside} back as ${paths.live}`);
    }
  }
  await discardStaged(ctx);
  if (reached.has("revert-code")) {
    const head = await gitHead(config.project.dir);
    if (head.commit !== documented.commit) {
      await checkoutCommit(config.project.dir, documented.commit, documented.branch);
      actions.push(`git back at ${documented.commit.slice(0, 12)}`);
    }
  }
  const running = await listProjectContainers(docker, config.project.name);
  const toRecreate = touched.filter((spec) => {
    const now = running.find((c) => c.name === spec.name);
    return !(now && now.state === "running" && now.imageId === spec.imageId);
  });
  await startContainers(docker, toRecreate, config.project.infraServices, async (spec) => ({ id: spec.imageId, refs: [] }), (m) => ctx.progress(m));
  actions.push(`${toRecreate.length} containers recreated with their pre-rollback images`);
  ctx.progress(actions.join("; "));
  return { actions };
}

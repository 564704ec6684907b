// After a failure past the point of no return: put the previous state back. Stop whatever the
// rollback started, swap the set-aside database and MinIO data back, return git to the documented
// commit, put the pre-rollback containers back (recreated from their journaled specs where the
// rollback replaced them) and remove the ones it brought back. Idempotent, like the steps.
// Once services started on the restored data it may hold what the application wrote since: it is
// set aside (`<db>__rewind_post_<id>`, `_data.rewind-post-<id>`) and named in the output, never dropped.
import * as z from "zod";
import type { ReportedStepId } from "../../../../shared/schemas/rollback.ts";
import { stopContainer } from "../../host/docker-start.ts";
import { unswapDatabases } from "../../host/postgres-swap.ts";
import { swapPaths, unswapVolumeData, volumeDataDir } from "../../host/volume.ts";
import { dataDirNames, setAsideDatabase, setAsidePostDatabase } from "../names.ts";
import { keptRunning, stopOrder } from "../order.ts";
import type { StepContext, StepOutput } from "../step-context.ts";
import { removeOutside, restoreDocumented } from "../restore-containers.ts";
import { documentedOf } from "../step-context.ts";
import { discardStaged, stagedDatabaseOid } from "./discard-staged.ts";
import { restoreCode } from "./revert-code.ts";
import { restoreEnv } from "./start.ts";

const preflightOid = z.object({ databaseOid: z.number().int() });

/** The live database's OID at preflight: the database the undo brings back under the live name. */
function preflightDatabaseOid(ctx: StepContext): number | undefined {
  const parsed = preflightOid.safeParse(ctx.outputs.preflight);
  return parsed.success ? parsed.data.databaseOid : undefined;
}

export async function undo(ctx: StepContext, reached: ReadonlySet<ReportedStepId>): Promise<StepOutput> {
  const { config, request, docker } = ctx;
  const documented = documentedOf(ctx);
  const touched = stopOrder(documented.containers, config.project.infraServices, keptRunning(request.mode, config.project.database?.service));
  for (const spec of touched) await stopContainer(docker, spec.name, config.thresholds.stopTimeoutSeconds);
  await removeOutside(restoreEnv(ctx), config.project.name, documented.containers);
  const actions: string[] = [];
  const output: StepOutput = {};
  // The start step's first container may already have written: from its start on, the data served.
  const served = reached.has("start");
  if (reached.has("swap")) {
    const database = config.project.database;
    if (database) {
      const result = await unswapDatabases(
        database.adminUrl,
        {
          live: database.name,
          aside: setAsideDatabase(database.name, request.rollbackId),
          post: setAsidePostDatabase(database.name, request.rollbackId),
          preOid: preflightDatabaseOid(ctx),
          stagedOid: stagedDatabaseOid(ctx),
          served,
        },
        database.timeouts,
      );
      if (result.setAside) {
        output.databaseAside = result.setAside;
        actions.push(`restored database set aside as ${result.setAside}`);
      }
      if (result.dropped) actions.push(`restored database ${result.dropped} dropped (it never served)`);
      if (result.restored) actions.push(`pre-rollback database back as ${database.name}`);
    }
    const minio = config.project.minio;
    if (minio) {
      const paths = swapPaths(await volumeDataDir(docker, minio.volume), dataDirNames(request.rollbackId));
      const result = await unswapVolumeData(paths, served);
      if (result.setAside) {
        output.minioAside = result.setAside;
        actions.push(`restored MinIO data set aside at ${result.setAside}`);
      }
      if (result.restored) actions.push(`pre-rollback MinIO data back at ${paths.live}`);
    }
  }
  await discardStaged(ctx);
  if (reached.has("revert-code")) actions.push(...(await restoreCode(ctx, documented)));
  const restored = await restoreDocumented(restoreEnv(ctx), documented.containers);
  actions.push(`${restored} pre-rollback containers back as they were`);
  ctx.progress(actions.join("; "));
  return { ...output, actions };
}

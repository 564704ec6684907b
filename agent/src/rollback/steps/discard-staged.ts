// Removes staged copies that never went live (a failed or cancelled rollback): the side database and
// the unpacked MinIO directory. The database is dropped only while it still has the OID the stage
// step journaled; live data and set-aside copies are never touched here.
import { rm } from "node:fs/promises";
import * as z from "zod";
import { dropDatabaseWithOid } from "../../host/postgres-swap.ts";
import { swapPaths, volumeDataDir } from "../../host/volume.ts";
import { dataDirNames, stagedDatabase } from "../names.ts";
import type { StepContext } from "../step-context.ts";

const oidField = z.object({ databaseOid: z.number().int() });

/** The OID of the staged database, as the stage step journaled it (undefined if the step never finished). */
export function stagedDatabaseOid(ctx: StepContext): number | undefined {
  const parsed = oidField.safeParse(ctx.outputs.stage);
  return parsed.success ? parsed.data.databaseOid : undefined;
}

const minioField = z.object({ minio: z.string().min(1) });

/**
 * `stageFailed`: the stage step itself failed (it removed what it had staged on the way out). Then,
 * and when the stage step journaled where it unpacked, this asks Docker nothing: a discard must not
 * depend on an engine that may be the very thing that failed.
 */
export async function discardStaged(ctx: StepContext, stageFailed = false): Promise<void> {
  const { config, request } = ctx;
  if (request.mode !== "full") return;
  const database = config.project.database;
  const oid = stagedDatabaseOid(ctx);
  // Without a journaled OID the stage step did not finish, and it removed its own copy on the way out.
  if (database && oid !== undefined) await dropDatabaseWithOid(database.adminUrl, stagedDatabase(database.name), oid, database.timeouts);
  const minio = config.project.minio;
  if (!minio) return;
  const journaled = minioField.safeParse(ctx.outputs.stage);
  if (journaled.success) {
    await rm(journaled.data.minio, { recursive: true, force: true });
  } else if (!stageFailed) {
    // A stage step cut short by a kill left no output: its copy is under the derived name.
    const paths = swapPaths(await volumeDataDir(ctx.docker, minio.volume), dataDirNames(request.rollbackId));
    await rm(paths.staged, { recursive: true, force: true });
  }
}

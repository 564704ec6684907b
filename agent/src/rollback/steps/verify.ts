// Step 9: is the rolled-back host right? Only what a live application keeps true: every service
// healthy (Docker health, with a timeout), the HTTP smoke checks, every table of the manifest present,
// the MinIO buckets present. Row counts were checked on the staged copy, before downtime: the
// application writes as soon as it is back, so counts here would fail a good rollback.
import path from "node:path";
import { Client as MinioClient } from "minio";
import { RewindError } from "../../../../shared/errors.ts";
import { runSmokeChecks, waitHealthy } from "../../host/health.ts";
import { tableNames } from "../../host/postgres-stats.ts";
import { exists, volumeDataDir } from "../../host/volume.ts";
import type { AgentConfig } from "../../config.ts";
import type { StepContext, StepOutput } from "../step-context.ts";
import { expectedServicesOf, mayFinishOf, targetOfRun } from "../step-context.ts";
import { missingTables } from "../verify-checks.ts";

type MinioConfig = NonNullable<AgentConfig["project"]["minio"]>;

async function missingBuckets(ctx: StepContext, minio: MinioConfig, buckets: readonly string[]): Promise<string[]> {
  if (minio.endpoint) {
    const url = new URL(minio.endpoint);
    const client = new MinioClient({
      endPoint: url.hostname,
      port: Number(url.port || (url.protocol === "https:" ? 443 : 80)),
      useSSL: url.protocol === "https:",
      accessKey: minio.accessKey ?? "",
      secretKey: minio.secretKey ?? "",
      pathStyle: true,
    });
    const present = await Promise.all(buckets.map((b) => client.bucketExists(b)));
    return buckets.filter((_, i) => !present[i]);
  }
  // No S3 endpoint configured: MinIO keeps one directory per bucket in its data dir.
  const dataDir = await volumeDataDir(ctx.docker, minio.volume);
  const present = await Promise.all(buckets.map((b) => exists(path.join(dataDir, b))));
  return buckets.filter((_, i) => !present[i]);
}

export async function verify(ctx: StepContext): Promise<StepOutput> {
  const { config } = ctx;
  const backup = targetOfRun(ctx).backup;
  const services = expectedServicesOf(ctx);
  const timeoutMs = config.thresholds.healthTimeoutSeconds * 1000;
  const statuses = await waitHealthy(ctx.docker, config.project.name, services, timeoutMs, ctx.signal, mayFinishOf(ctx));
  const allHealthyAt = new Date().toISOString();
  const finished = statuses.filter((s) => s.state === "exited").map((s) => s.service);
  ctx.progress(`all ${services.length} services healthy${finished.length > 0 ? ` (one-shot jobs done, exit 0: ${finished.join(", ")})` : ""}`);
  const smoke = await runSmokeChecks(config.project.smokeChecks);
  const failedSmoke = smoke.filter((s) => !s.ok);
  if (failedSmoke.length > 0) {
    throw new RewindError("STEP_FAILED", `smoke checks failed: ${failedSmoke.map((s) => `${s.name} (${s.status ?? s.error})`).join(", ")}`);
  }
  const full = ctx.request.mode === "full";
  const database = config.project.database;
  let tables = 0;
  if (full && database && backup.database?.tables) {
    const missing = missingTables(backup.database.tables, await tableNames({ url: database.adminUrl, database: database.name }, database.timeouts));
    if (missing.length > 0) throw new RewindError("STEP_FAILED", `tables of the backup missing from the live database: ${missing.join(", ")}`);
    tables = backup.database.tables.length;
    ctx.progress(`all ${tables} tables of the manifest present`);
  }
  const minio = config.project.minio;
  if (full && minio && backup.minio && backup.minio.buckets.length > 0) {
    const missing = await missingBuckets(ctx, minio, backup.minio.buckets);
    if (missing.length > 0) throw new RewindError("STEP_FAILED", `MinIO buckets missing after the restore: ${missing.join(", ")}`);
    ctx.progress(`buckets present: ${backup.minio.buckets.join(", ")}`);
  }
  return { allHealthyAt, statuses, smoke, tables };
}

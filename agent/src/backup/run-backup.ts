// A pre-deployment backup, end to end: the database dump and MinIO archive in the seed's layout,
// the manifest (commit, images kept by tag, row counts, sizes and sha256), the seed's
// `.last-deployment-backup`, then the optional off-site copy and retention. Each container's
// configuration as it ran goes to `containers.json` (host-local: it holds env values). Files are
// written to a staging directory and renamed into place only when complete.
import { rename, rm, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import type Docker from "dockerode";
import { RewindError } from "../../../shared/errors.ts";
import type { BackupFile, BackupManifest, TableCount } from "../../../shared/schemas/manifest.ts";
import type { AgentConfig } from "../config.ts";
import { archiveDirectory } from "../host/archive.ts";
import { listProjectContainers } from "../host/compose.ts";
import { fsyncDir, mkdirPrivate, sealDirectory } from "../host/durable-file.ts";
import { gitHead } from "../host/git.ts";
import { type HostLock, withHostLock } from "../host/host-lock.ts";
import { type DumpFormat, dumpDatabase } from "../host/pg-dump.ts";
import { urlForDatabase } from "../host/postgres-restore.ts";
import { exportSnapshot } from "../host/postgres-stats.ts";
import { volumeDataDir } from "../host/volume.ts";
import { removeStaleStages } from "../rollback/stale-stages.ts";
import { agentVersion } from "../version.ts";
import { buildManifest, serviceImages } from "./build-manifest.ts";
import { recordContainers } from "./container-config.ts";
import { tagImages, untagImages } from "./keep-images.ts";
import { lastDeploymentValues, writeLastDeploymentBackup } from "./last-deployment-file.ts";
import { backupLayout, dbFileName, formatTimestamp, minioFileName, stagingPrefix } from "./layout.ts";
import { writeManifest } from "./manifest-file.ts";
import { minioBuckets } from "./minio-buckets.ts";
import { copyOffsite, type OffsiteCopy, requireOffsite } from "./offsite-copy.ts";
import type { BackupPhase, OnBackupProgress } from "./progress.ts";
import { pruneBackups, type RetentionResult } from "./retention.ts";
import { namesIn } from "../host/dir-entries.ts";

export interface BackupContext {
  docker: Docker;
  onProgress: OnBackupProgress;
  signal?: AbortSignal;
  /** The host lock, when the caller (a deploy) already holds it; otherwise the backup takes it. */
  hostLock?: HostLock;
}

export interface BackupOptions {
  /** Copy the archives and manifest to the `offsite` bucket of the agent config. */
  offsite?: boolean;
  /** `custom` (pg_dump -Fc) allows a parallel `pg_restore -j`; the default is the seed's `.sql.gz`. */
  format?: DumpFormat;
  /** The backup's clock (its timestamp and createdAt); now by default. */
  now?: Date;
}

export interface BackupResult {
  dir: string;
  manifest: BackupManifest;
  /** The seed's `.last-deployment-backup`, written for every backup holding a database dump or a MinIO archive. */
  lastDeploymentFile?: string;
  offsite?: OffsiteCopy;
  retention: RetentionResult;
}

const mb = (bytes: number): string => `${(bytes / 1024 ** 2).toFixed(1)} MB`;

async function exists(file: string): Promise<boolean> {
  return stat(file).then(
    () => true,
    (error: NodeJS.ErrnoException) => {
      if (error.code === "ENOENT") return false;
      throw error;
    },
  );
}

/**
 * The backups directory usually sits inside the git checkout: a `.gitignore` of `*` keeps the
 * archives out of `git status`, so a rollback's stash of local changes never sweeps them away.
 */
async function ignoreInGit(backupsDir: string): Promise<void> {
  const file = path.join(backupsDir, ".gitignore");
  if (!(await exists(file))) await writeFile(file, "# Rewind's backups: never part of the project's changes\n*\n");
}

/** Staging directories left by a killed backup: safe to remove once this process holds the lock. */
async function removeAbandonedStaging(backupsDir: string): Promise<void> {
  const entries = await namesIn(backupsDir);
  for (const name of entries.filter((entry) => entry.startsWith(stagingPrefix))) {
    await rm(path.join(backupsDir, name), { recursive: true, force: true });
  }
}

/**
 * The seed's timestamps have one-second resolution and name the directory. Back-to-back backups
 * (the lock makes them sequential) wait for the next second rather than fail; a caller-given
 * clock cannot move, so its collision is a CONFLICT.
 */
async function freeSecond(backupsDir: string, fixed: Date | undefined): Promise<Date> {
  for (let attempt = 0; attempt < 3; attempt++) {
    const now = fixed ?? new Date();
    const dir = backupLayout(backupsDir, formatTimestamp(now)).dir;
    if (!(await exists(dir))) return now;
    if (fixed !== undefined) {
      throw new RewindError("CONFLICT", `${dir} already exists: a backup with timestamp ${formatTimestamp(now)} was already taken`);
    }
    await new Promise((resolve) => setTimeout(resolve, 1000 - now.getMilliseconds()));
  }
  throw new RewindError("CONFLICT", `${backupsDir} already holds backups for the next seconds: check the host clock`, {
    retryable: true,
  });
}

function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new RewindError("CANCELLED", "the backup was cancelled", { cause: signal.reason });
}

async function dumpWithCounts(
  database: NonNullable<AgentConfig["project"]["database"]>,
  outFile: string,
  format: DumpFormat,
  signal: AbortSignal | undefined,
): Promise<{ file: Omit<BackupFile, "path">; tables: TableCount[] }> {
  // pg_dump (libpq) decodes the URL's database in full; node-pg gets the name as a field.
  const url = urlForDatabase(database.adminUrl, database.name);
  const snapshot = await exportSnapshot({ url: database.adminUrl, database: database.name }, database.timeouts);
  // Both run inside the snapshot, so the row counts describe exactly what the dump holds.
  const [dumped, counted] = await Promise.allSettled([
    dumpDatabase({ binDir: database.binDir, url, format, outFile, snapshot: snapshot.id, timeouts: database.timeouts, signal }),
    snapshot.counts(),
  ]);
  await snapshot.close();
  if (dumped.status === "rejected") throw dumped.reason;
  if (counted.status === "rejected") throw counted.reason;
  return { file: dumped.value, tables: counted.value };
}

export async function runBackup(config: AgentConfig, ctx: BackupContext, options: BackupOptions = {}): Promise<BackupResult> {
  const { docker, signal } = ctx;
  const progress = (phase: BackupPhase, state: "running" | "succeeded" | "skipped", message: string): void => ctx.onProgress({ phase, state, message });
  throwIfAborted(signal);
  if (options.offsite) requireOffsite(config);
  const project = config.project;
  const format = options.format ?? "plain-gzip";

  return withHostLock(config.stateDir, "backup", ctx.hostLock, async () => {
    await mkdirPrivate(project.backupsDir);
    await ignoreInGit(project.backupsDir);
    await removeAbandonedStaging(project.backupsDir);
    const now = await freeSecond(project.backupsDir, options.now);
    const timestamp = formatTimestamp(now);
    const layout = backupLayout(project.backupsDir, timestamp);
    await mkdirPrivate(layout.stagingDir);
    let tagged: string[] = [];
    let manifest: BackupManifest;
    try {
      progress("prepare", "running", `backing up compose project ${project.name} to ${layout.dir}`);
      const head = await gitHead(project.dir, signal ? { signal } : {});
      const running = await listProjectContainers(docker, project.name);
      const services = serviceImages(running, project.name, timestamp);
      const containers = await recordContainers(docker, running, project.name, layout.stagingDir);
      progress(
        "prepare",
        "succeeded",
        `commit ${head.commit.slice(0, 12)} on ${head.branch}, ${services.length} services; container configuration in ${containers.path}`,
      );

      let database: BackupManifest["database"];
      if (project.database) {
        throwIfAborted(signal);
        const fileName = dbFileName(timestamp, format);
        progress("database", "running", `dumping ${project.database.name} (${format}) to ${fileName}`);
        const dumped = await dumpWithCounts(project.database, path.join(layout.stagingDir, fileName), format, signal);
        database = { name: project.database.name, format, file: { path: fileName, ...dumped.file }, tables: dumped.tables };
        const rows = dumped.tables.reduce((sum, t) => sum + t.rows, 0);
        progress("database", "succeeded", `${fileName}: ${mb(dumped.file.bytes)}, ${dumped.tables.length} tables, ${rows} rows`);
      } else {
        progress("database", "skipped", "no database in the agent config");
      }

      let minio: BackupManifest["minio"];
      if (project.minio) {
        throwIfAborted(signal);
        const fileName = minioFileName(timestamp);
        progress("minio", "running", `archiving volume ${project.minio.volume} to ${fileName}`);
        const dataDir = await volumeDataDir(docker, project.minio.volume);
        const buckets = await minioBuckets(dataDir);
        const archived = await archiveDirectory({ dir: dataDir, outFile: path.join(layout.stagingDir, fileName), signal });
        minio = { volume: project.minio.volume, file: { path: fileName, ...archived }, buckets };
        progress("minio", "succeeded", `${fileName}: ${mb(archived.bytes)}, buckets ${buckets.join(", ") || "(none)"}`);
      } else {
        progress("minio", "skipped", "no MinIO volume in the agent config");
      }

      throwIfAborted(signal);
      progress("images", "running", `tagging ${services.length} service images so docker image prune keeps them`);
      tagged = services.flatMap((s) => (s.keepTag === undefined ? [] : [s.keepTag]));
      await tagImages(docker, services);
      progress("images", "succeeded", tagged.join(", ") || "no services running");

      manifest = buildManifest({
        backupId: layout.name,
        host: config.host,
        composeProject: project.name,
        timestamp,
        createdAt: now.toISOString(),
        git: head,
        services,
        containers,
        ...(database ? { database } : {}),
        ...(minio ? { minio } : {}),
        agentVersion,
      });
      // The dump and archive reach the disk before the manifest that says the backup is complete.
      await sealDirectory(layout.stagingDir);
      await writeManifest(layout.stagingDir, manifest);
      await rename(layout.stagingDir, layout.dir);
      await fsyncDir(project.backupsDir);
    } catch (error) {
      await rm(layout.stagingDir, { recursive: true, force: true });
      // The failure the operator must see is the backup's own; a keep tag left behind only keeps
      // an image a little longer, so a failing cleanup does not replace it.
      if (tagged.length > 0) await untagImages(docker, tagged).catch(() => undefined);
      throw error;
    }
    progress("manifest", "succeeded", `backup ${manifest.backupId} complete`);

    const values = lastDeploymentValues(project.dir, layout.dir, manifest);
    const lastDeploymentFile = values ? await writeLastDeploymentBackup(project.dir, values) : undefined;

    let offsite: OffsiteCopy | undefined;
    if (options.offsite) {
      progress("offsite", "running", `copying to s3://${config.offsite?.bucket ?? ""}`);
      try {
        offsite = await copyOffsite(config, layout.dir, manifest, signal);
      } catch (error) {
        // The local backup is whole and stays; only the off-site copy is missing.
        throw new RewindError(
          "UNAVAILABLE",
          `backup ${manifest.backupId} is complete at ${layout.dir}, but the off-site copy failed: ${(error as Error).message}`,
          { retryable: true, cause: error, details: { dir: layout.dir, backupId: manifest.backupId } },
        );
      }
      progress("offsite", "succeeded", `${offsite.keys.length} objects in s3://${offsite.bucket}`);
    } else {
      progress("offsite", "skipped", "off-site copy not requested");
    }

    progress("retention", "running", `keeping the newest ${config.retention.backups} backups`);
    const retention = await pruneBackups(config, docker);
    // An interrupted rollback's staged MinIO copy is a whole unpacked backup: on a host that sees no
    // further rollback, only this pass frees that disk (it holds the host lock, so no rollback stages now).
    if (project.minio) {
      const staleStages = await removeStaleStages(config.stateDir, await volumeDataDir(docker, project.minio.volume), undefined, (line) =>
        retention.notes.push(line),
      );
      retention.removed.push(...staleStages);
    }
    const removed = retention.removed.length > 0 ? `removed ${retention.removed.join(", ")}` : "nothing to remove";
    progress("retention", "succeeded", [removed, ...retention.notes].join("; "));

    return {
      dir: layout.dir,
      manifest,
      ...(lastDeploymentFile ? { lastDeploymentFile } : {}),
      ...(offsite ? { offsite } : {}),
      retention,
    };
  });
}

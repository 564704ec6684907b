// Backups kept, on a database-only project (no MinIO) whose host also holds the seed's own backups:
// retention orders by creation time, not by directory name (the seed names its backups in local
// time); `.last-deployment-backup` is written without a MinIO archive and the seed's manual restore
// (`source .last-deployment-backup; gunzip -c "$DB_BACKUP_FILE" | psql`) reads Rewind's dump; and
// `--last` means the newest verified backup when that file is missing or older.
import { execFile } from "node:child_process";
import { mkdir, mkdtemp, readFile, rm, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { gzipSync } from "node:zlib";
import type Docker from "dockerode";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { formatTimestamp } from "../../agent/src/backup/layout.ts";
import { listBackupNames } from "../../agent/src/backup/retention.ts";
import { type BackupResult, runBackup } from "../../agent/src/backup/run-backup.ts";
import { type AgentConfig, parseAgentConfig } from "../../agent/src/config.ts";
import { tableCounts } from "../../agent/src/host/postgres-stats.ts";
import { resolveBackup } from "../../agent/src/rollback/resolve-backup.ts";
import { createDemoDatabase } from "../world/demo-data.ts";
import { newRunId, requireDocker } from "../world/docker.ts";
import { type PgCluster, startPostgres } from "../world/postgres.ts";

const run = promisify(execFile);
const day = 24 * 3600 * 1000;

let docker: Docker;
let cluster: PgCluster;
let root: string;
let projectDir: string;
let config: AgentConfig;
let taken: BackupResult;
/** The seed's backups, named in local time 10 hours ahead of UTC: their names sort after Rewind's. */
const seedOlder = `pre-deployment-${formatTimestamp(new Date(Date.now() + 10 * 3600 * 1000))}`;
const seedNewer = `pre-deployment-${formatTimestamp(new Date(Date.now() + 11 * 3600 * 1000))}`;

/** A seed backup as its scripts leave it, its files dated `ageMs` ago. */
async function seedBackup(name: string, ageMs: number): Promise<void> {
  const dir = path.join(config.project.backupsDir, name);
  await mkdir(dir, { recursive: true });
  const file = path.join(dir, `db_${name.slice("pre-deployment-".length)}.sql.gz`);
  await writeFile(file, gzipSync("--\n-- PostgreSQL database dump complete\n--\n"));
  const when = new Date(Date.now() - ageMs);
  await utimes(file, when, when);
}

beforeAll(async () => {
  docker = await requireDocker();
  cluster = await startPostgres();
  const database = `seedproc_${newRunId()}`;
  await createDemoDatabase(cluster, "v1", database);
  root = await mkdtemp(path.join(tmpdir(), "rewind-seed-procedure-"));
  projectDir = path.join(root, "project");
  await mkdir(projectDir);
  await run("git", ["-C", projectDir, "init", "--quiet", "--initial-branch=main"]);
  await writeFile(path.join(projectDir, "README"), "db only\n");
  await run("git", ["-C", projectDir, "add", "."]);
  await run("git", ["-C", projectDir, "-c", "user.email=t@example.com", "-c", "user.name=t", "commit", "--quiet", "-m", "v1"]);
  config = parseAgentConfig(
    {
      host: "seed-procedure",
      stateDir: path.join(root, "state"),
      project: { name: `seedproc${newRunId()}`, dir: projectDir, database: { adminUrl: cluster.adminUrl, name: database, binDir: cluster.bin } },
      retention: { backups: 2, setAside: 3 },
    },
    "test",
    root,
  );
  await seedBackup(seedOlder, 3 * day);
  await seedBackup(seedNewer, 2 * day);
  taken = await runBackup(config, { docker, onProgress: () => undefined });
});

afterAll(async () => {
  await cluster?.stop();
  if (root) await rm(root, { recursive: true, force: true });
});

/**
 * The runbook's "Manual Database Restore", step 6, into a new database `restored`: the dump the
 * project's .last-deployment-backup names, through `gunzip | psql`. Returns the restored table counts.
 */
async function seedManualRestore(restored: string): ReturnType<typeof tableCounts> {
  const admin = new pg.Client({ connectionString: cluster.adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${restored}`).finally(() => admin.end());
  await run(
    "bash",
    [
      "-c",
      `set -euo pipefail; source .last-deployment-backup; gunzip -c "$DB_BACKUP_FILE" | '${cluster.bin}/psql' -q -v ON_ERROR_STOP=1 '${cluster.urlFor(restored)}'`,
    ],
    { cwd: projectDir },
  );
  return tableCounts(cluster.urlFor(restored));
}

describe("backups kept on a database-only host with the seed's own backups", () => {
  it("retention keeps the backup just taken and the newest seed one by creation time, not by name", async () => {
    expect((await listBackupNames(config.project.backupsDir)).sort()).toEqual([path.basename(taken.dir), seedNewer].sort());
    expect(taken.retention.removed).toEqual([seedOlder]);
  });

  it("writes .last-deployment-backup with an empty MINIO_BACKUP_FILE, and the seed's manual restore reads the dump", async () => {
    const text = await readFile(path.join(projectDir, ".last-deployment-backup"), "utf8");
    expect(text).toContain("\nMINIO_BACKUP_FILE=\n");
    expect(await seedManualRestore("seed_manual_restore")).toEqual(taken.manifest.database?.tables);
  });

  it("--last is the backup .last-deployment-backup names, or the newest verified one when that file is missing or older", async () => {
    const file = path.join(projectDir, ".last-deployment-backup");
    const written = await readFile(file, "utf8");
    expect(await resolveBackup(config, { kind: "last" })).toMatchObject({ source: "manifest", dir: taken.dir, backupId: taken.manifest.backupId });

    await rm(file);
    expect(await resolveBackup(config, { kind: "last" })).toMatchObject({ source: "manifest", dir: taken.dir });

    // The seed's file naming its own, older backup: the newer verified one wins.
    const seedTs = seedNewer.slice("pre-deployment-".length);
    await writeFile(
      file,
      [
        `DEPLOYMENT_TIMESTAMP=${seedTs}`,
        `BACKUP_DIR=./backups/${seedNewer}`,
        `DB_BACKUP_FILE=./backups/${seedNewer}/db_${seedTs}.sql.gz`,
        `MINIO_BACKUP_FILE=`,
        `GIT_COMMIT=${taken.manifest.git.commit}`,
        "GIT_BRANCH=main",
        "",
      ].join("\n"),
    );
    expect(await resolveBackup(config, { kind: "last" })).toMatchObject({ source: "manifest", dir: taken.dir });

    await writeFile(file, written);
  });

  it("--last refuses a .last-deployment-backup whose paths lead out of the backups directory, before reading anything there", async () => {
    const file = path.join(projectDir, ".last-deployment-backup");
    const written = await readFile(file, "utf8");
    // A manifest planted outside the backups directory, for the commit the file names: never read.
    const elsewhere = path.join(root, "elsewhere");
    await mkdir(elsewhere, { recursive: true });
    await writeFile(path.join(elsewhere, "manifest.json"), JSON.stringify({ ...taken.manifest, backupId: "planted" }));
    const seedTs = seedNewer.slice("pre-deployment-".length);
    const hostile = (dir: string, db: string) =>
      [`DEPLOYMENT_TIMESTAMP=${seedTs}`, `BACKUP_DIR=${dir}`, `DB_BACKUP_FILE=${db}`, `GIT_COMMIT=${taken.manifest.git.commit}`, "GIT_BRANCH=main", ""].join(
        "\n",
      );
    try {
      await writeFile(file, hostile("../elsewhere", "../elsewhere/db.sql.gz"));
      await expect(resolveBackup(config, { kind: "last" })).rejects.toMatchObject({
        code: "BACKUP_INVALID",
        message: expect.stringContaining("BACKUP_DIR ../elsewhere is not a pre-deployment-<timestamp> directory"),
      });
      await writeFile(file, hostile(`./backups/${seedNewer}`, "../../etc/passwd"));
      await expect(resolveBackup(config, { kind: "last" })).rejects.toMatchObject({
        code: "BACKUP_INVALID",
        message: expect.stringContaining("DB_BACKUP_FILE ../../etc/passwd is not inside the backup directory"),
      });
    } finally {
      await writeFile(file, written);
    }
  });

  it("a custom-format backup leaves .last-deployment-backup naming a dump the seed's gunzip | psql reads", async () => {
    const custom = await runBackup(config, { docker, onProgress: () => undefined }, { format: "custom" });
    expect(custom.manifest.database?.format).toBe("custom");
    expect(custom.lastDeploymentFile).toBeUndefined();
    expect(await seedManualRestore("seed_manual_after_custom")).toEqual(taken.manifest.database?.tables);
    // Rewind's own --last still takes the newest backup, whatever its format.
    expect(await resolveBackup(config, { kind: "last" })).toMatchObject({ source: "manifest", dir: custom.dir });
  });
});

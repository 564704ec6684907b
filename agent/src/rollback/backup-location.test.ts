// Backup paths that lead out of the backups directory through a symlink are refused, on real
// symlinks in a temporary directory: the seed's `.last-deployment-backup`, a --backup directory,
// and the files a manifest names.
import { mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { BackupManifest, LastDeploymentBackup } from "../../../shared/schemas/manifest.ts";
import { writeManifest } from "../backup/manifest-file.ts";
import { type AgentConfig, parseAgentConfig } from "../config.ts";
import { namedBackupPaths } from "./last-deployment-backup.ts";
import { resolveBackup } from "./resolve-backup.ts";

const ts = "20241130_143022";
const name = `pre-deployment-${ts}`;
let root: string;
let config: AgentConfig;
let outside: string;

const last = (overrides: Partial<LastDeploymentBackup> = {}): LastDeploymentBackup => ({
  DEPLOYMENT_TIMESTAMP: ts,
  BACKUP_DIR: `./backups/${name}`,
  DB_BACKUP_FILE: `./backups/${name}/db_${ts}.sql.gz`,
  MINIO_BACKUP_FILE: "",
  GIT_COMMIT: "9c77f51e67e7267b",
  GIT_BRANCH: "main",
  ...overrides,
});

const manifest: BackupManifest = {
  version: 1,
  backupId: name,
  host: "web-1",
  composeProject: "shop",
  timestamp: ts,
  createdAt: "2024-11-30T14:30:22.000Z",
  git: { commit: "9c77f51e67e7267b", branch: "main" },
  services: [],
  database: { name: "shop", file: { path: `db_${ts}.sql.gz`, bytes: 1, sha256: "0".repeat(64) }, format: "plain-gzip", tables: [] },
  agentVersion: "0.1.0",
};

const invalid = (fragment: string) => expect.objectContaining({ code: "BACKUP_INVALID", message: expect.stringContaining(fragment) });

beforeEach(async () => {
  root = await mkdtemp(path.join(tmpdir(), "rewind-backup-location-"));
  config = parseAgentConfig({ host: "web-1", stateDir: "state", project: { name: "shop", dir: "project" } }, "test", root);
  outside = path.join(root, "elsewhere");
  await mkdir(outside, { recursive: true });
  await writeFile(path.join(outside, `db_${ts}.sql.gz`), "not yours");
  await mkdir(config.project.backupsDir, { recursive: true });
});

afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

describe("backup paths are checked where they really lead", () => {
  it("accepts a seed backup whose directory and dump are real, also when the backups directory itself is a symlink", async () => {
    const real = path.join(root, "disk", "backups");
    await mkdir(path.join(real, name), { recursive: true });
    await writeFile(path.join(real, name, `db_${ts}.sql.gz`), "dump");
    await rm(config.project.backupsDir, { recursive: true });
    await symlink(real, config.project.backupsDir);
    const paths = await namedBackupPaths(last(), config.project.dir, config.project.backupsDir, ".last-deployment-backup");
    expect(paths.database).toBe(path.join(config.project.backupsDir, name, `db_${ts}.sql.gz`));
  });

  it("refuses a BACKUP_DIR that is a symlink to a directory elsewhere", async () => {
    await symlink(outside, path.join(config.project.backupsDir, name));
    await expect(namedBackupPaths(last(), config.project.dir, config.project.backupsDir, ".last-deployment-backup")).rejects.toThrow(
      invalid(`BACKUP_DIR ${path.join(config.project.backupsDir, name)} is not inside the backups directory`),
    );
  });

  it("refuses a DB_BACKUP_FILE or MINIO_BACKUP_FILE that is a symlink out of the backup directory, dangling or not", async () => {
    const dir = path.join(config.project.backupsDir, name);
    await mkdir(dir);
    await symlink(path.join(outside, `db_${ts}.sql.gz`), path.join(dir, `db_${ts}.sql.gz`));
    await symlink(path.join(outside, "not-yet.tar.gz"), path.join(dir, `minio_${ts}.tar.gz`));
    await expect(namedBackupPaths(last(), config.project.dir, config.project.backupsDir, "f")).rejects.toThrow(invalid("DB_BACKUP_FILE"));
    const minioOnly = last({ DB_BACKUP_FILE: "", MINIO_BACKUP_FILE: `./backups/${name}/minio_${ts}.tar.gz` });
    await expect(namedBackupPaths(minioOnly, config.project.dir, config.project.backupsDir, "f")).rejects.toThrow(
      invalid(`(it really is ${path.join(outside, "not-yet.tar.gz")})`),
    );
  });

  it("refuses --backup naming a directory outside the backups directory, or a symlink to one", async () => {
    await writeManifest(outside, manifest);
    await symlink(outside, path.join(config.project.backupsDir, name));
    await expect(resolveBackup(config, { kind: "manifest", dir: outside })).rejects.toThrow(invalid(`backup directory ${outside}`));
    await expect(resolveBackup(config, { kind: "manifest", dir: path.join(config.project.backupsDir, name) })).rejects.toThrow(
      invalid("is not inside the backups directory"),
    );
  });

  it("refuses a manifest whose dump is a symlink out of its backup directory, however the backup is chosen", async () => {
    const dir = path.join(config.project.backupsDir, name);
    await mkdir(dir);
    await writeManifest(dir, manifest);
    await symlink(path.join(outside, `db_${ts}.sql.gz`), path.join(dir, `db_${ts}.sql.gz`));
    const refusal = invalid(`the backup's database dump ${path.join(dir, `db_${ts}.sql.gz`)} is not inside its backup directory`);
    await expect(resolveBackup(config, { kind: "manifest", dir })).rejects.toThrow(refusal);
    await expect(resolveBackup(config, { kind: "id", backupId: name })).rejects.toThrow(refusal);
    await expect(resolveBackup(config, { kind: "last" })).rejects.toThrow(refusal);
    await rm(path.join(dir, `db_${ts}.sql.gz`));
    await writeFile(path.join(dir, `db_${ts}.sql.gz`), "dump");
    expect((await resolveBackup(config, { kind: "last" })).database?.file).toBe(path.join(dir, `db_${ts}.sql.gz`));
  });
});

import { describe, expect, it } from "vitest";
import type { BackupManifest } from "../../../shared/schemas/manifest.ts";
import { parseLastDeploymentBackup } from "../rollback/last-deployment-backup.ts";
import { fromLastDeployment } from "../rollback/loaded-backup.ts";
import { formatLastDeploymentBackup, lastDeploymentValues } from "./last-deployment-file.ts";

const sha = "a".repeat(64);
const manifest: BackupManifest = {
  version: 1,
  backupId: "pre-deployment-20241130_143022",
  host: "web-1",
  composeProject: "schedgen",
  timestamp: "20241130_143022",
  createdAt: "2024-11-30T14:30:22.000Z",
  git: { commit: "abc123def456", branch: "main" },
  services: [],
  database: { name: "schedgen", format: "plain-gzip", file: { path: "db_20241130_143022.sql.gz", bytes: 10, sha256: sha }, tables: [] },
  minio: { volume: "schedgen_minio_data", file: { path: "minio_20241130_143022.tar.gz", bytes: 10, sha256: sha }, buckets: [] },
  agentVersion: "0.1.0",
};

describe(".last-deployment-backup", () => {
  it("is written exactly as the seed's deploy script writes it", () => {
    const values = lastDeploymentValues("/srv/app", "/srv/app/backups/pre-deployment-20241130_143022", manifest);
    expect(values && formatLastDeploymentBackup(values)).toBe(
      [
        "DEPLOYMENT_TIMESTAMP=20241130_143022",
        "BACKUP_DIR=./backups/pre-deployment-20241130_143022",
        "DB_BACKUP_FILE=./backups/pre-deployment-20241130_143022/db_20241130_143022.sql.gz",
        "MINIO_BACKUP_FILE=./backups/pre-deployment-20241130_143022/minio_20241130_143022.tar.gz",
        "GIT_COMMIT=abc123def456",
        "GIT_BRANCH=main",
        "",
      ].join("\n"),
    );
  });

  it("reads back through the rollback engine's parser, quoting paths a shell would split", () => {
    const values = lastDeploymentValues("/srv/my app", "/data/backups dir/pre-deployment-20241130_143022", manifest);
    expect(values).toBeDefined();
    if (values === undefined) return;
    expect(values.BACKUP_DIR).toBe("/data/backups dir/pre-deployment-20241130_143022");
    expect(parseLastDeploymentBackup(formatLastDeploymentBackup(values), "test")).toEqual(values);
  });

  it("is written for a database-only project, MINIO_BACKUP_FILE empty, and reads back without a MinIO archive", () => {
    const { minio: _minio, ...databaseOnly } = manifest;
    const values = lastDeploymentValues("/srv/app", "/srv/app/backups/pre-deployment-20241130_143022", databaseOnly);
    expect(values).toBeDefined();
    if (values === undefined) return;
    const text = formatLastDeploymentBackup(values);
    expect(text).toContain("\nMINIO_BACKUP_FILE=\n");
    expect(text).toContain("DB_BACKUP_FILE=./backups/pre-deployment-20241130_143022/db_20241130_143022.sql.gz\n");
    expect(parseLastDeploymentBackup(text, "test")).toEqual(values);
    expect(fromLastDeployment(values, "/srv/app", []).minio).toBeUndefined();
  });

  it("is not written for a backup holding no archive at all", () => {
    const { minio: _minio, database: _database, ...nothing } = manifest;
    expect(lastDeploymentValues("/srv/app", "/srv/app/backups/x", nothing)).toBeUndefined();
  });

  it("is not written for a custom-format dump, which the seed's gunzip | psql cannot read", () => {
    const custom: BackupManifest = {
      ...manifest,
      database: { ...manifest.database, format: "custom", file: { path: "db_20241130_143022.dump", bytes: 10, sha256: sha }, name: "schedgen", tables: [] },
    };
    expect(lastDeploymentValues("/srv/app", "/srv/app/backups/pre-deployment-20241130_143022", custom)).toBeUndefined();
  });

  it("refuses a hand-written file naming neither archive", () => {
    const text = "DEPLOYMENT_TIMESTAMP=20241130_143022\nBACKUP_DIR=./b\nGIT_COMMIT=abc1234\nGIT_BRANCH=main\n";
    expect(() => parseLastDeploymentBackup(text, "f")).toThrow(
      expect.objectContaining({ code: "BACKUP_INVALID", message: expect.stringContaining("neither a DB_BACKUP_FILE nor a MINIO_BACKUP_FILE") }),
    );
  });
});

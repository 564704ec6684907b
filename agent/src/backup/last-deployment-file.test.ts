import { describe, expect, it } from "vitest";
import type { BackupManifest } from "../../../shared/schemas/manifest.ts";
import { parseLastDeploymentBackup } from "../rollback/last-deployment-backup.ts";
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

  it("is not written for a backup without both a database dump and a MinIO archive", () => {
    const { minio: _minio, ...databaseOnly } = manifest;
    expect(lastDeploymentValues("/srv/app", "/srv/app/backups/x", databaseOnly)).toBeUndefined();
  });
});

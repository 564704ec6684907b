import { describe, expect, it } from "vitest";
import { parseLastDeploymentBackup } from "./last-deployment-backup.ts";

describe("parseLastDeploymentBackup", () => {
  it("reads the seed's file, quoted or not, ignoring comments and unknown keys", () => {
    const text = [
      "# written by deploy.sh",
      "DEPLOYMENT_TIMESTAMP=20241130_143022",
      'BACKUP_DIR="./backups/pre-deployment-20241130_143022"',
      "DB_BACKUP_FILE=./backups/pre-deployment-20241130_143022/db_20241130_143022.sql.gz",
      "export MINIO_BACKUP_FILE='./backups/pre-deployment-20241130_143022/minio_20241130_143022.tar.gz'",
      "GIT_COMMIT=9c77f51e67e7267b",
      "GIT_BRANCH=main",
      "EXTRA=ignored",
      "",
    ].join("\n");
    expect(parseLastDeploymentBackup(text, ".last-deployment-backup")).toEqual({
      DEPLOYMENT_TIMESTAMP: "20241130_143022",
      BACKUP_DIR: "./backups/pre-deployment-20241130_143022",
      DB_BACKUP_FILE: "./backups/pre-deployment-20241130_143022/db_20241130_143022.sql.gz",
      MINIO_BACKUP_FILE: "./backups/pre-deployment-20241130_143022/minio_20241130_143022.tar.gz",
      GIT_COMMIT: "9c77f51e67e7267b",
      GIT_BRANCH: "main",
    });
  });

  it("names the missing or bad field", () => {
    expect(() => parseLastDeploymentBackup("DEPLOYMENT_TIMESTAMP=yesterday\n", "f")).toThrow(
      expect.objectContaining({ code: "BACKUP_INVALID", message: expect.stringContaining("DEPLOYMENT_TIMESTAMP") }),
    );
  });

  it("refuses lines that are not KEY=VALUE (it is parsed, never sourced)", () => {
    expect(() => parseLastDeploymentBackup("rm -rf /\n", "f")).toThrow(expect.objectContaining({ code: "BACKUP_INVALID" }));
  });
});

import { describe, expect, it } from "vitest";
import { manifestSha256 } from "../manifest-digest.ts";
import { type BackupManifest, backupFile, backupManifest } from "./manifest.ts";

const sha = "a".repeat(64);

describe("a backup file's path", () => {
  it.each(["db_20241130_143022.sql.gz", "minio/data.tar.gz"])("accepts %s, inside the backup directory", (path) => {
    expect(backupFile.safeParse({ path, bytes: 1, sha256: sha }).success).toBe(true);
  });

  it.each(["../../../etc/cron.d/x", "/etc/cron.d/x", "a/../../b", "..", "./x", "a//b", "a\\..\\b", "x\0y"])("refuses %j", (path) => {
    const result = backupFile.safeParse({ path, bytes: 1, sha256: sha });
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.message).toContain("must be a relative path inside the backup directory");
  });
});

describe("manifestSha256", () => {
  const manifest: BackupManifest = backupManifest.parse({
    version: 1,
    backupId: "pre-deployment-20241130_143022",
    host: "web-1",
    composeProject: "app",
    timestamp: "20241130_143022",
    createdAt: "2024-11-30T14:30:22.000Z",
    git: { commit: "abcdef1", branch: "main" },
    services: [],
    agentVersion: "1.0.0",
  });

  it("does not depend on key order or formatting, only on content", () => {
    const { agentVersion, ...rest } = manifest;
    const reordered = backupManifest.parse(JSON.parse(JSON.stringify({ agentVersion, ...rest }, null, 2)));
    expect(manifestSha256(reordered)).toBe(manifestSha256(manifest));
    expect(manifestSha256({ ...manifest, git: { ...manifest.git, commit: "abcdef2" } })).not.toBe(manifestSha256(manifest));
    expect(manifestSha256(manifest)).toMatch(/^[0-9a-f]{64}$/);
  });
});

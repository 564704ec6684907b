import { describe, expect, it } from "vitest";
import { backupLayout, dbFileName, formatTimestamp, isBackupDirName, minioFileName } from "./layout.ts";

describe("backup layout", () => {
  it("formats the seed's DEPLOYMENT_TIMESTAMP in UTC", () => {
    expect(formatTimestamp(new Date("2024-11-30T14:30:22.999Z"))).toBe("20241130_143022");
    expect(formatTimestamp(new Date("2025-01-02T03:04:05+02:00"))).toBe("20250102_010405");
  });

  it("names files as the seed does, and the custom format as a .dump", () => {
    expect(dbFileName("20241130_143022", "plain-gzip")).toBe("db_20241130_143022.sql.gz");
    expect(dbFileName("20241130_143022", "custom")).toBe("db_20241130_143022.dump");
    expect(minioFileName("20241130_143022")).toBe("minio_20241130_143022.tar.gz");
  });

  it("stages beside the final directory under a name no backup glob matches", () => {
    const layout = backupLayout("/srv/app/backups", "20241130_143022");
    expect(layout).toEqual({
      name: "pre-deployment-20241130_143022",
      dir: "/srv/app/backups/pre-deployment-20241130_143022",
      stagingDir: "/srv/app/backups/.partial-pre-deployment-20241130_143022",
    });
    expect(isBackupDirName("pre-deployment-20241130_143022")).toBe(true);
    expect(isBackupDirName(".partial-pre-deployment-20241130_143022")).toBe(false);
    expect(isBackupDirName("pre-deployment-latest")).toBe(false);
  });
});

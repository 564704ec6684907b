import { describe, expect, it } from "vitest";
import { isRewindError } from "../../../shared/errors.ts";
import { pathInside } from "./fetch-missing.ts";

describe("pathInside", () => {
  it("joins a path inside the backup directory", () => {
    expect(pathInside("/srv/app/backups/b1", "db.sql.gz")).toBe("/srv/app/backups/b1/db.sql.gz");
  });

  it.each(["../../../etc/cron.d/x", "/etc/passwd", "a/../../b1-sibling", ".", ""])("refuses %j with BACKUP_INVALID", (relative) => {
    let caught: unknown;
    try {
      pathInside("/srv/app/backups/b1", relative);
    } catch (error) {
      caught = error;
    }
    expect(isRewindError(caught, "BACKUP_INVALID")).toBe(true);
    expect((caught as Error).message).toContain("outside the backup directory");
  });
});

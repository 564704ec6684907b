import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterEach, describe, expect, it } from "vitest";
import { type ManifestFile, verifyFiles } from "./integrity.ts";

const run = promisify(execFile);
const sha256 = (text: string): string => createHash("sha256").update(text).digest("hex");

let dir: string | undefined;
afterEach(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe("verifyFiles", () => {
  it("reads the backup's files at the same time, and returns their checks in the manifest's order", async () => {
    dir = await mkdtemp(path.join(tmpdir(), "rewind-integrity-"));
    // Named pipes: each is readable only while its writer writes. The writer fills the second one
    // first, so a check reading one file after the other never gets past the first.
    await run("mkfifo", [path.join(dir, "first"), path.join(dir, "second")]);
    const entries: ManifestFile[] = [
      { role: "database", gzip: false, file: { path: "first", bytes: 5, sha256: sha256("first") } },
      { role: "containers", gzip: false, file: { path: "second", bytes: 6, sha256: sha256("second") } },
    ];
    const written = (async (at: string) => {
      await writeFile(path.join(at, "second"), "second");
      await writeFile(path.join(at, "first"), "first");
    })(dir);
    const stuck = new Promise<never>((_, reject) =>
      setTimeout(() => reject(new Error("the second file was never read while the first waited")), 3_000).unref(),
    );

    const checks = await Promise.race([verifyFiles(dir, entries, "backup test"), stuck]);

    await written;
    expect(checks).toEqual([{ path: "first" }, { path: "second" }]);
  });

  it("names every damaged file in one BACKUP_INVALID", async () => {
    dir = await mkdtemp(path.join(tmpdir(), "rewind-integrity-"));
    await writeFile(path.join(dir, "db.sql"), "intact");
    await writeFile(path.join(dir, "containers.json"), "changed");
    const entries: ManifestFile[] = [
      { role: "database", gzip: false, file: { path: "db.sql", sha256: sha256("intact") } },
      { role: "containers", gzip: false, file: { path: "containers.json", sha256: sha256("as written") } },
      { role: "minio", gzip: true, file: { path: "minio.tar.gz" } },
    ];
    await expect(verifyFiles(dir, entries, "backup test")).rejects.toMatchObject({
      code: "BACKUP_INVALID",
      details: {
        problems: [
          { path: "containers.json", problem: "sha256" },
          { path: "minio.tar.gz", problem: "missing" },
        ],
      },
    });
  });
});

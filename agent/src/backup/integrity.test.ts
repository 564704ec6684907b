import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterEach, describe, expect, it } from "vitest";
import { gzipSync } from "node:zlib";
import { DUMP_COMPLETE_TRAILER } from "./dump-trailer.ts";
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

  describe("a gzip file whose manifest records its sha256 and decompressed size", () => {
    const dump = gzipSync(`SELECT 1;\n${DUMP_COMPLETE_TRAILER}\n`);
    const recorded = { bytes: dump.length, sha256: createHash("sha256").update(dump).digest("hex"), unpackedBytes: 4096 };

    it("is vouched for by its sha256 (no second decompression): the check reports the recorded decompressed size", async () => {
      dir = await mkdtemp(path.join(tmpdir(), "rewind-integrity-"));
      await writeFile(path.join(dir, "db.sql.gz"), dump);
      const checks = await verifyFiles(dir, [{ role: "database", gzip: true, file: { path: "db.sql.gz", ...recorded } }], "backup test");
      expect(checks).toEqual([{ path: "db.sql.gz", unpackedBytes: 4096 }]);
    });

    it("is refused once one byte differs from what was recorded", async () => {
      dir = await mkdtemp(path.join(tmpdir(), "rewind-integrity-"));
      const changed = Buffer.from(dump);
      changed[changed.length - 9] = (changed[changed.length - 9] ?? 0) ^ 1;
      await writeFile(path.join(dir, "db.sql.gz"), changed);
      await expect(verifyFiles(dir, [{ role: "database", gzip: true, file: { path: "db.sql.gz", ...recorded } }], "backup test")).rejects.toMatchObject({
        code: "BACKUP_INVALID",
        details: { problems: [{ path: "db.sql.gz", problem: "sha256" }] },
      });
    });

    it("with pieces, for a caller that restores through verifiedPieces, is only found and sized: its bytes are checked as they are used", async () => {
      dir = await mkdtemp(path.join(tmpdir(), "rewind-integrity-"));
      const changed = Buffer.from(dump);
      changed[changed.length - 9] = (changed[changed.length - 9] ?? 0) ^ 1;
      await writeFile(path.join(dir, "db.sql.gz"), changed);
      const file = { path: "db.sql.gz", ...recorded, pieces: [recorded.sha256] };
      const checks = await verifyFiles(dir, [{ role: "database", gzip: true, file }], "backup test", { piecesAtRestore: true });
      expect(checks).toEqual([{ path: "db.sql.gz", unpackedBytes: 4096, piecesAtRestore: true }]);
      // Read whole as before for any other caller, or for a file without pieces.
      await expect(verifyFiles(dir, [{ role: "database", gzip: true, file }], "backup test")).rejects.toMatchObject({
        details: { problems: [{ path: "db.sql.gz", problem: "sha256" }] },
      });
      await expect(
        verifyFiles(dir, [{ role: "database", gzip: true, file: { path: "db.sql.gz", ...recorded } }], "backup test", { piecesAtRestore: true }),
      ).rejects.toMatchObject({ details: { problems: [{ path: "db.sql.gz", problem: "sha256" }] } });
      // A size that differs is refused without reading.
      await writeFile(path.join(dir, "db.sql.gz"), Buffer.concat([dump, Buffer.from("x")]));
      await expect(verifyFiles(dir, [{ role: "database", gzip: true, file }], "backup test", { piecesAtRestore: true })).rejects.toMatchObject({
        details: { problems: [{ path: "db.sql.gz", problem: "size" }] },
      });
    });

    it("without a recorded decompressed size is decompressed whole: a cut-short dump is refused", async () => {
      dir = await mkdtemp(path.join(tmpdir(), "rewind-integrity-"));
      const cut = gzipSync("COPY t FROM stdin;\n1\n");
      await writeFile(path.join(dir, "db.sql.gz"), cut);
      const sha256 = createHash("sha256").update(cut).digest("hex");
      await expect(
        verifyFiles(dir, [{ role: "database", gzip: true, file: { path: "db.sql.gz", bytes: cut.length, sha256 } }], "backup test"),
      ).rejects.toMatchObject({ code: "BACKUP_INVALID", details: { problems: [{ path: "db.sql.gz", problem: "incomplete" }] } });
    });
  });
});

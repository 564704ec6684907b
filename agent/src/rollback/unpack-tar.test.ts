// unpackTarGz on real archives made by GNU tar, as the seed's backup script makes them: a whole one is
// staged with its files; one whose tar was cut short inside a valid gzip (a backup interrupted while
// tar wrote it), inside an entry or between two, is refused instead of staging a partial copy of the
// MinIO data.
import { execFile } from "node:child_process";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { gunzipSync, gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { unpackTarGz } from "./backup-files.ts";

const run = promisify(execFile);
let dir: string;
let archive: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "rewind-unpack-"));
  await mkdir(path.join(dir, "data", "bucket"), { recursive: true });
  await writeFile(path.join(dir, "data", "bucket", "a.bin"), Buffer.alloc(200_000, 7));
  await writeFile(path.join(dir, "data", "bucket", "z.txt"), "last object\n");
  await writeFile(path.join(dir, "data", "bucket", "b.txt"), "second object\n");
  archive = path.join(dir, "minio.tar.gz");
  await run("tar", ["-czf", archive, "-C", path.join(dir, "data"), "."]);
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("unpackTarGz", () => {
  it("stages a whole archive", async () => {
    const target = path.join(dir, "whole");
    await mkdir(target);
    await unpackTarGz({ file: archive, within: dir }, target);
    expect((await readFile(path.join(target, "bucket", "a.bin"))).length).toBe(200_000);
    expect(await readFile(path.join(target, "bucket", "b.txt"), "utf8")).toBe("second object\n");
    expect(await readFile(path.join(target, "bucket", "z.txt"), "utf8")).toBe("last object\n");
  });

  it("refuses a tar cut short inside a valid gzip", async () => {
    const tar = gunzipSync(await readFile(archive));
    const cut = path.join(dir, "cut.tar.gz");
    await writeFile(cut, gzipSync(tar.subarray(0, 100_000)));
    const target = path.join(dir, "cut");
    await mkdir(target);
    await expect(unpackTarGz({ file: cut, within: dir }, target)).rejects.toThrow(/TAR_BAD_ARCHIVE: Truncated input/);
  });

  it("refuses a tar cut short between two entries, naming the file", async () => {
    const listing = (await run("tar", ["-tvzf", archive])).stdout.trim().split("\n");
    expect(listing.at(-1)).toMatch(/bucket\/(a\.bin|b\.txt|z\.txt)$/);
    // Cut right after the first file entry's data: a well-formed prefix without the end-of-archive blocks.
    const tar = gunzipSync(await readFile(archive));
    const firstFile = listing.findIndex((line) => line.startsWith("-"));
    const size = Number(listing[firstFile]?.split(/\s+/)[2]);
    const end = 512 * (firstFile + 1) + Math.ceil(size / 512) * 512;
    const cut = path.join(dir, "between.tar.gz");
    await writeFile(cut, gzipSync(tar.subarray(0, end)));
    const target = path.join(dir, "between");
    await mkdir(target);
    await expect(unpackTarGz({ file: cut, within: dir }, target)).rejects.toThrow(`${cut} is cut short`);
  });
});

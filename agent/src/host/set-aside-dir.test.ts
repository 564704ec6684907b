// prepareSetAsideDir on real directories: made beside the volumes on the same filesystem, refused
// (before anything changes) when it would land on another one, where a rename becomes a copy.
import { mkdir, mkdtemp, rm, stat, symlink } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { prepareSetAsideDir, setAsideDirOf } from "./set-aside-dir.ts";

let root: string;
let other: string | undefined;
let dataDir: string;

beforeEach(async () => {
  root = await mkdtemp(path.join(tmpdir(), "rewind-set-aside-"));
  dataDir = path.join(root, "volumes", "app_minio", "_data");
  await mkdir(dataDir, { recursive: true });
});

afterEach(async () => {
  await rm(root, { recursive: true, force: true });
  if (other) await rm(other, { recursive: true, force: true });
  other = undefined;
});

describe("prepareSetAsideDir", () => {
  it("creates <root>/rewind-set-aside/<volume> beside the volumes", async () => {
    const dir = await prepareSetAsideDir(dataDir);
    expect(dir).toBe(path.join(root, "rewind-set-aside", "app_minio"));
    expect(dir).toBe(setAsideDirOf(dataDir));
    expect((await stat(dir)).mode & 0o777).toBe(0o700);
  });

  it("refuses a set-aside directory on another filesystem than the volume", async () => {
    other = await mkdtemp("/dev/shm/rewind-set-aside-");
    if ((await stat(other)).dev === (await stat(root)).dev) throw new Error("/dev/shm is on the same filesystem as the temp dir here");
    await symlink(other, path.join(root, "rewind-set-aside"));
    await expect(prepareSetAsideDir(dataDir)).rejects.toMatchObject({
      code: "PRECONDITION_FAILED",
      message: expect.stringContaining("is on another filesystem than"),
    });
  });
});

import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { entriesIn, namesIn } from "./dir-entries.ts";

const root = await mkdtemp(path.join(tmpdir(), "rewind-dir-entries-"));

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe("listing a directory that may not exist", () => {
  it("a missing directory has no entries; an existing one lists them", async () => {
    expect(await namesIn(path.join(root, "missing"))).toEqual([]);
    expect(await entriesIn(path.join(root, "missing"))).toEqual([]);
    await mkdir(path.join(root, "backups"));
    await writeFile(path.join(root, "backups", "a"), "");
    expect(await namesIn(path.join(root, "backups"))).toEqual(["a"]);
    expect((await entriesIn(path.join(root, "backups"))).map((entry) => entry.name)).toEqual(["a"]);
  });

  it("anything but a missing directory is an error, not 'no backups' (here: a file where the directory should be)", async () => {
    await writeFile(path.join(root, "file"), "");
    await expect(namesIn(path.join(root, "file"))).rejects.toMatchObject({ code: "ENOTDIR" });
  });
});

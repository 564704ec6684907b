// A backup's files are checked where they really are at the moment they are opened, on real
// symlinks: the backup resolves (its paths inside the backups directory), then a writer of that
// directory swaps a symlink in, for the file or for a directory on its way, pointing at an identical
// copy elsewhere. The integrity read, the MinIO unpack and the recorded containers read refuse it.
import { execFile } from "node:child_process";
import { mkdir, mkdtemp, readFile, readdir, rename, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { gzipSync } from "node:zlib";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { fixtureBackupName, fixtureManifest, sha256Of } from "../../../test/fixtures/backup/manifest.ts";
import { readRecordedConfig } from "../backup/container-config.ts";
import { writeManifest } from "../backup/manifest-file.ts";
import { type AgentConfig, parseAgentConfig } from "../config.ts";
import { checkBackupFiles, unpackTarGz } from "./backup-files.ts";
import { resolveBackup } from "./resolve-backup.ts";

const run = promisify(execFile);
const name = fixtureBackupName;
const sql = "SELECT 1;\n-- PostgreSQL database dump complete\n";
const dump = gzipSync(sql);
const containers = JSON.stringify({ version: 1, composeProject: "shop", containers: [] });

let root: string;
let config: AgentConfig;
let dir: string;
let outside: string;
let archive: Buffer;

const invalid = (fragment: string) => expect.objectContaining({ code: "BACKUP_INVALID", message: expect.stringContaining(fragment) });

beforeEach(async () => {
  root = await mkdtemp(path.join(tmpdir(), "rewind-backup-open-"));
  const project = {
    name: "shop",
    dir: "project",
    database: { adminUrl: "postgres://postgres@127.0.0.1:5432/postgres", name: "shop" },
    minio: { volume: "shop_minio", buckets: ["uploads"] },
  };
  config = parseAgentConfig({ host: "web-1", stateDir: "state", project }, "test", root);
  dir = path.join(config.project.backupsDir, name);
  outside = path.join(root, "elsewhere");
  await mkdir(path.join(dir, "db"), { recursive: true });
  await mkdir(outside);
  await mkdir(path.join(root, "data", "bucket"), { recursive: true });
  await writeFile(path.join(root, "data", "bucket", "object.txt"), "an object\n");
  await run("tar", ["-czf", path.join(dir, "minio.tar.gz"), "-C", path.join(root, "data"), "."]);
  archive = await readFile(path.join(dir, "minio.tar.gz"));
  await writeFile(path.join(dir, "db", "dump.sql.gz"), dump);
  await writeFile(path.join(dir, "containers.json"), containers);
  const manifest = fixtureManifest({
    dump: { path: "db/dump.sql.gz", bytes: dump, unpackedBytes: sql.length },
    minio: archive,
    containers,
  });
  await writeManifest(dir, manifest);
});

afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

/** Replaces `relative` in the backup with a symlink to an identical copy outside the backups directory. */
async function swapOut(relative: string): Promise<string> {
  const copy = path.join(outside, path.basename(relative));
  await rename(path.join(dir, relative), copy);
  await symlink(copy, path.join(dir, relative));
  return copy;
}

describe("backup files are checked where they really are when opened", () => {
  it("reads the resolved backup's files whole, and refuses them once a directory on their way was swapped for a symlink", async () => {
    const backup = await resolveBackup(config, { kind: "id", backupId: name });
    await expect(checkBackupFiles(config, backup)).resolves.toMatchObject({ fetched: [] });

    const copy = await swapOut("db");
    await expect(checkBackupFiles(config, backup)).rejects.toThrow(invalid(`(it really is ${path.join(copy, "dump.sql.gz")})`));
  });

  it("refuses a file swapped for a symlink after resolution, in the integrity read, the unpack and the containers read", async () => {
    const backup = await resolveBackup(config, { kind: "id", backupId: name });
    const target = path.join(root, "staged");
    await mkdir(target);
    await unpackTarGz({ file: path.join(dir, "minio.tar.gz"), within: dir }, target);
    expect(await readFile(path.join(target, "bucket", "object.txt"), "utf8")).toBe("an object\n");
    await rm(target, { recursive: true });
    await mkdir(target);

    const archiveCopy = await swapOut("minio.tar.gz");
    await expect(checkBackupFiles(config, backup)).rejects.toThrow(invalid(`(it really is ${archiveCopy})`));
    await expect(unpackTarGz({ file: path.join(dir, "minio.tar.gz"), within: dir }, target)).rejects.toThrow(invalid(`(it really is ${archiveCopy})`));
    expect(await readdir(target)).toEqual([]);

    const containersCopy = await swapOut("containers.json");
    await expect(readRecordedConfig(dir, { path: "containers.json", sha256: sha256Of(containers) })).rejects.toThrow(
      invalid(`(it really is ${containersCopy})`),
    );
  });
});

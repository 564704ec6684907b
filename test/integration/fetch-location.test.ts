// Files fetched back from the off-site copy are written only where they really stay inside their
// backup directory: real symlinks in a temporary directory, a real S3 server (s3rver) holding the
// genuine copies. A symlinked subdirectory, a file name or the backup's own directory leading out
// is refused BACKUP_INVALID before any byte is written, anywhere.
import { access, mkdir, mkdtemp, readFile, readdir, rm, symlink } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { PutObjectCommand } from "@aws-sdk/client-s3";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { BackupManifest } from "../../shared/schemas/manifest.ts";
import { fetchBackup, fetchMissingFiles } from "../../agent/src/backup/fetch-missing.ts";
import { writeManifest } from "../../agent/src/backup/manifest-file.ts";
import { type AgentConfig, parseAgentConfig } from "../../agent/src/config.ts";
import { randomId } from "../../shared/signing.ts";
import { fixtureBackupName, fixtureManifest } from "../fixtures/backup/manifest.ts";
import { type S3World, startS3 } from "../world/s3.ts";

const name = fixtureBackupName;
const dump = Buffer.from("-- the genuine dump\n");
const archive = Buffer.from("the genuine MinIO archive");

let s3: S3World;
let bucket: string;
let root: string;
let config: AgentConfig;
let dir: string;
let outside: string;

const manifestWith = (dumpPath: string): BackupManifest => fixtureManifest({ dump: { path: dumpPath, bytes: dump }, minio: archive });

/** The off-site copy of the backup, genuine: the files the manifest names, under its keys. */
async function offsiteCopy(manifest: BackupManifest): Promise<void> {
  const put = (file: string, body: Buffer) => s3.client.send(new PutObjectCommand({ Bucket: bucket, Key: `backups/web-1/${name}/${file}`, Body: body }));
  await put(manifest.database?.file.path ?? "", dump);
  await put("minio.tar.gz", archive);
}

/** Every entry under `at`, as paths relative to it (symlinks listed, not followed). */
async function tree(at: string, prefix = ""): Promise<string[]> {
  const found: string[] = [];
  for (const entry of await readdir(at, { withFileTypes: true })) {
    const relative = path.join(prefix, entry.name);
    found.push(relative);
    if (entry.isDirectory()) found.push(...(await tree(path.join(at, entry.name), relative)));
  }
  return found.sort();
}

const exists = (p: string) =>
  access(p).then(
    () => true,
    () => false,
  );

const invalid = (fragment: string) => expect.objectContaining({ code: "BACKUP_INVALID", message: expect.stringContaining(fragment) });

beforeAll(async () => {
  s3 = await startS3();
});

afterAll(async () => {
  await s3?.stop();
});

beforeEach(async () => {
  root = await mkdtemp(path.join(tmpdir(), "rewind-fetch-location-"));
  bucket = `rewind-offsite-${randomId()
    .slice(0, 10)
    .toLowerCase()
    .replace(/[^a-z0-9]/g, "x")}`;
  await s3.createBucket(bucket);
  config = parseAgentConfig(
    {
      host: "web-1",
      stateDir: "state",
      project: { name: "shop", dir: "project" },
      offsite: { endpoint: s3.endpoint, region: s3.region, bucket, accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
    },
    "test",
    root,
  );
  dir = path.join(config.project.backupsDir, name);
  await mkdir(dir, { recursive: true });
  outside = path.join(root, "elsewhere");
  await mkdir(outside);
});

afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

describe("files fetched from the off-site copy stay in their backup directory", () => {
  it("fetches into a subdirectory that is a symlink inside the backup directory, and through a planted partial-file symlink never", async () => {
    const manifest = manifestWith("db/dump.sql.gz");
    await offsiteCopy(manifest);
    await writeManifest(dir, manifest);
    await mkdir(path.join(dir, "database"));
    await symlink("database", path.join(dir, "db"));
    await symlink(path.join(outside, "planted"), path.join(dir, "minio.tar.gz.fetching"));

    expect(await fetchMissingFiles(config, dir, manifest)).toEqual(["db/dump.sql.gz", "minio.tar.gz"]);
    expect(await readFile(path.join(dir, "database", "dump.sql.gz"))).toEqual(dump);
    expect(await readFile(path.join(dir, "minio.tar.gz"))).toEqual(archive);
    expect(await tree(dir)).toEqual(["database", "database/dump.sql.gz", "db", "manifest.json", "minio.tar.gz"]);
    expect(await tree(outside)).toEqual([]);
  });

  it("refuses a subdirectory that is a symlink out of the backup directory, writing no file at all", async () => {
    const manifest = manifestWith("db/dump.sql.gz");
    await offsiteCopy(manifest);
    await writeManifest(dir, manifest);
    await symlink(outside, path.join(dir, "db"));

    await expect(fetchMissingFiles(config, dir, manifest)).rejects.toThrow(
      invalid(`the manifest's file ${path.join(dir, "db", "dump.sql.gz")} is not inside its backup directory`),
    );
    expect(await tree(outside)).toEqual([]);
    // The other missing file, inside, was not fetched either: the refusal came first.
    expect(await exists(path.join(dir, "minio.tar.gz"))).toBe(false);
  });

  it("refuses a dangling subdirectory symlink and a dangling file symlink leading out, creating nothing there", async () => {
    const manifest = manifestWith("db/dump.sql.gz");
    await offsiteCopy(manifest);
    await writeManifest(dir, manifest);
    await symlink(path.join(outside, "not-yet"), path.join(dir, "db"));
    await expect(fetchMissingFiles(config, dir, manifest)).rejects.toThrow(invalid(`(it really is ${path.join(outside, "not-yet", "dump.sql.gz")})`));

    await rm(path.join(dir, "db"));
    await symlink(path.join(outside, "archive"), path.join(dir, "minio.tar.gz"));
    await mkdir(path.join(dir, "db"));
    await expect(fetchMissingFiles(config, dir, manifest)).rejects.toThrow(invalid(`(it really is ${path.join(outside, "archive")})`));
    expect(await tree(outside)).toEqual([]);
    expect(await tree(path.join(dir, "db"))).toEqual([]);
  });

  it("refuses a backup whose whole directory is a dangling symlink out of the backups directory before asking the bucket", async () => {
    await rm(dir, { recursive: true });
    await symlink(path.join(outside, "backup"), dir);
    await expect(fetchBackup(config, name, {})).rejects.toThrow(invalid(`backup directory ${dir} is not inside the backups directory`));
    expect(await tree(outside)).toEqual([]);
  });
});

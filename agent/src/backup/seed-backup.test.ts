// adoptSeedBackup on real files laid out as the seed's scripts leave them.
import { createHash } from "node:crypto";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { gunzipSync, gzipSync } from "node:zlib";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type AgentConfig, parseAgentConfig } from "../config.ts";
import { manifestPath } from "./manifest-file.ts";
import { adoptSeedBackup } from "./seed-backup.ts";

const ts = "20241130_143022";
const completeDump = "SET client_encoding = 'UTF8';\nCOPY public.jobs (id) FROM stdin;\n1\n\\.\n\n--\n-- PostgreSQL database dump complete\n--\n\n";
const cutShortDump = "SET client_encoding = 'UTF8';\nCOPY public.jobs (id) FROM stdin;\n1\n";

let root: string;
let config: AgentConfig;
let dir: string;

async function seedBackup(dump: string, minio: Buffer = gzipSync(Buffer.alloc(1024))): Promise<void> {
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(dir, `db_${ts}.sql.gz`), gzipSync(dump));
  await writeFile(path.join(dir, `minio_${ts}.tar.gz`), minio);
  const lines = [
    `DEPLOYMENT_TIMESTAMP=${ts}`,
    `BACKUP_DIR=./backups/pre-deployment-${ts}`,
    `DB_BACKUP_FILE=./backups/pre-deployment-${ts}/db_${ts}.sql.gz`,
    `MINIO_BACKUP_FILE=./backups/pre-deployment-${ts}/minio_${ts}.tar.gz`,
    "GIT_COMMIT=abc123def456",
    "GIT_BRANCH=main",
  ];
  await writeFile(path.join(root, ".last-deployment-backup"), `${lines.join("\n")}\n`);
}

beforeEach(async () => {
  root = await mkdtemp(path.join(tmpdir(), "rewind-seed-adopt-"));
  dir = path.join(root, "backups", `pre-deployment-${ts}`);
  config = parseAgentConfig(
    {
      host: "web-1",
      stateDir: "state",
      project: {
        name: "schedgen",
        dir: ".",
        database: { adminUrl: "postgres://localhost/postgres", name: "schedgen" },
        minio: { volume: "schedgen_minio_data", buckets: ["schedgen"] },
      },
    },
    "test",
    root,
  );
});

afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

describe("adoptSeedBackup", () => {
  it("describes a whole seed backup as origin seed, with each file's sha256, and writes the manifest beside it", async () => {
    await seedBackup(completeDump);
    const adoption = await adoptSeedBackup(config);
    expect(adoption.kind).toBe("adopted");
    if (adoption.kind !== "adopted") return;
    const dumpBytes = await readFile(path.join(dir, `db_${ts}.sql.gz`));
    expect(adoption.manifest).toMatchObject({
      origin: "seed",
      backupId: `pre-deployment-${ts}`,
      host: "web-1",
      timestamp: ts,
      git: { commit: "abc123def456", branch: "main" },
      services: [],
      database: {
        name: "schedgen",
        format: "plain-gzip",
        file: {
          path: `db_${ts}.sql.gz`,
          bytes: dumpBytes.length,
          sha256: createHash("sha256").update(dumpBytes).digest("hex"),
          unpackedBytes: gunzipSync(dumpBytes).length,
        },
      },
      minio: { volume: "schedgen_minio_data", file: { path: `minio_${ts}.tar.gz`, unpackedBytes: 1024 }, buckets: ["schedgen"] },
    });
    expect(JSON.parse(await readFile(manifestPath(dir), "utf8"))).toEqual(adoption.manifest);
    expect(await adoptSeedBackup(config)).toMatchObject({ kind: "none" });
  });

  it("refuses a dump cut short mid-COPY (a valid gzip without pg_dump's trailer), naming the file", async () => {
    await seedBackup(cutShortDump);
    const adoption = await adoptSeedBackup(config);
    expect(adoption).toMatchObject({
      kind: "refused",
      reason: expect.stringContaining(`db_${ts}.sql.gz has no '-- PostgreSQL database dump complete' trailer`),
    });
    await expect(readFile(manifestPath(dir))).rejects.toMatchObject({ code: "ENOENT" });
  });

  it("refuses a truncated MinIO tarball", async () => {
    const whole = gzipSync(Buffer.alloc(64 * 1024, 7));
    await seedBackup(completeDump, whole.subarray(0, whole.length - 20));
    expect(await adoptSeedBackup(config)).toMatchObject({ kind: "refused", reason: expect.stringContaining("is not a whole gzip file") });
  });

  it("refuses a file outside the backup directory, and a directory outside the backups directory", async () => {
    await seedBackup(completeDump);
    const file = path.join(root, ".last-deployment-backup");
    const text = await readFile(file, "utf8");
    await writeFile(file, text.replace(`DB_BACKUP_FILE=./backups/pre-deployment-${ts}/`, "DB_BACKUP_FILE=./"));
    expect(await adoptSeedBackup(config)).toMatchObject({ kind: "refused", reason: expect.stringContaining("is not inside the backup directory") });
    await writeFile(file, text.replaceAll("./backups/", "./elsewhere/"));
    expect(await adoptSeedBackup(config)).toMatchObject({ kind: "refused", reason: expect.stringContaining("is not a pre-deployment-<timestamp> directory") });
  });
});

// watchSeedBackups on real files: a seed backup made while the agent runs is adopted on a later
// round and announced once; a refused one is not announced, and a later whole one is.
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { gzipSync } from "node:zlib";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { BackupManifest } from "../../../shared/schemas/manifest.ts";
import { type AgentConfig, parseAgentConfig } from "../config.ts";
import { createLogger } from "../log.ts";
import { type SeedWatch, watchSeedBackups } from "./seed-watch.ts";

const ts = "20241130_143022";
let root: string;
let config: AgentConfig;
let watch: SeedWatch | undefined;
const log = createLogger({ level: "silent" });

async function seedBackup(dump: string): Promise<void> {
  const dir = path.join(root, "backups", `pre-deployment-${ts}`);
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(dir, `db_${ts}.sql.gz`), gzipSync(dump));
  const lines = [
    `DEPLOYMENT_TIMESTAMP=${ts}`,
    `BACKUP_DIR=./backups/pre-deployment-${ts}`,
    `DB_BACKUP_FILE=./backups/pre-deployment-${ts}/db_${ts}.sql.gz`,
    "MINIO_BACKUP_FILE=",
    "GIT_COMMIT=abc123def456",
    "GIT_BRANCH=main",
  ];
  await writeFile(path.join(root, ".last-deployment-backup"), `${lines.join("\n")}\n`);
}

const until = async (done: () => boolean): Promise<void> => {
  const deadline = Date.now() + 5000;
  while (!done()) {
    if (Date.now() > deadline) throw new Error("timed out");
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
};

beforeEach(async () => {
  root = await mkdtemp(path.join(tmpdir(), "rewind-seed-watch-"));
  config = parseAgentConfig(
    { host: "web-1", stateDir: "state", project: { name: "schedgen", dir: ".", database: { adminUrl: "postgres://localhost/postgres", name: "schedgen" } } },
    "test",
    root,
  );
});

afterEach(async () => {
  await watch?.stop();
  await rm(root, { recursive: true, force: true });
});

describe("watchSeedBackups", () => {
  it("adopts a seed backup made after the agent started, and announces it once", async () => {
    const announced: BackupManifest[] = [];
    watch = watchSeedBackups(config, log, async (m) => void announced.push(m), 30);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(announced).toEqual([]);
    await seedBackup("--\n-- PostgreSQL database dump complete\n--\n");
    await until(() => announced.length > 0);
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(announced.map((m) => [m.backupId, m.origin])).toEqual([[`pre-deployment-${ts}`, "seed"]]);
  });

  it("a refused backup (cut-short dump) is not announced; the seed writing a whole one again is", async () => {
    const announced: BackupManifest[] = [];
    await seedBackup("COPY public.jobs (id) FROM stdin;\n1\n");
    watch = watchSeedBackups(config, log, async (m) => void announced.push(m), 30);
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(announced).toEqual([]);
    await seedBackup("--\n-- PostgreSQL database dump complete\n--\n");
    await until(() => announced.length > 0);
    expect(announced[0]?.database?.file.path).toBe(`db_${ts}.sql.gz`);
  });
});

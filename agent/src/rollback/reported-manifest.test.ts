// A remote rollback restores the backup the host reported, not whatever its directory holds now: a
// writer of the backups directory who swaps the dump and rewrites manifest.json to match (so the
// files' sha256 check passes) is refused, because the signed command names the sha256 of the
// manifest the host reported. Real files in a temporary directory.
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { gzipSync } from "node:zlib";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { manifestSha256 } from "../../../shared/manifest-digest.ts";
import { fixtureBackupName, fixtureManifest } from "../../../test/fixtures/backup/manifest.ts";
import { writeManifest } from "../backup/manifest-file.ts";
import { type AgentConfig, parseAgentConfig } from "../config.ts";
import { resolveBackup } from "./resolve-backup.ts";

const genuineSql = "SELECT 1;\n-- PostgreSQL database dump complete\n";
const plantedSql = "ALTER ROLE app SUPERUSER;\n-- PostgreSQL database dump complete\n";

let root: string;
let config: AgentConfig;
let dir: string;
let reported: string;

async function layOut(sql: string): Promise<string> {
  const dump = gzipSync(sql);
  await writeFile(path.join(dir, "dump.sql.gz"), dump);
  const manifest = fixtureManifest({ dump: { path: "dump.sql.gz", bytes: dump, unpackedBytes: sql.length } });
  await rm(path.join(dir, "manifest.json"), { force: true });
  await writeManifest(dir, manifest);
  return manifestSha256(manifest);
}

beforeEach(async () => {
  root = await mkdtemp(path.join(tmpdir(), "rewind-reported-manifest-"));
  config = parseAgentConfig({ host: "web-1", stateDir: "state", project: { name: "shop", dir: "project" } }, "test", root);
  dir = path.join(config.project.backupsDir, fixtureBackupName);
  await mkdir(dir, { recursive: true });
  reported = await layOut(genuineSql);
});

afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

describe("a remote rollback's backup on disk", () => {
  it("is used when its manifest is the one the host reported", async () => {
    const backup = await resolveBackup(config, { kind: "id", backupId: fixtureBackupName, manifestSha256: reported });
    expect(backup.database?.file).toBe(path.join(dir, "dump.sql.gz"));
  });

  it("is refused when dump and manifest were rewritten together since", async () => {
    const planted = await layOut(plantedSql);
    await expect(resolveBackup(config, { kind: "id", backupId: fixtureBackupName, manifestSha256: reported })).rejects.toThrow(
      expect.objectContaining({ code: "BACKUP_INVALID", message: expect.stringContaining(`hashes to ${planted}, but the signed command names ${reported}`) }),
    );
    // A local rollback has no signed command to compare with: the operator at the host chose this directory.
    const local = await resolveBackup(config, { kind: "id", backupId: fixtureBackupName });
    expect(local.database?.file).toBe(path.join(dir, "dump.sql.gz"));
  });
});

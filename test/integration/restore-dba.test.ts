// A restore a DBA would sign off (issue 13, points 1-3 and the PostgreSQL side of 12), on the
// real agent code, Docker and a throwaway PostgreSQL 15 cluster: cut-short dumps refused (ours
// and the seed's), the live database's encoding, locale, ACL, settings and comment kept across a
// rollback, 20,000 large objects restored, and a hung restore stopped before any downtime.
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { chmod, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { gunzipSync, gzipSync } from "node:zlib";
import pg from "pg";
import { describe, expect, it } from "vitest";
import { runBackup } from "../../agent/src/backup/run-backup.ts";
import type { AgentConfig } from "../../agent/src/config.ts";
import { dumpDatabase } from "../../agent/src/host/pg-dump.ts";
import { isRewindError } from "../../shared/errors.ts";
import type { BackupManifest } from "../../shared/schemas/manifest.ts";
import { databaseFacts, sql } from "./database-facts.ts";
import { containerStates, databaseNames, expectRefusedInPreflight, type Scenario, scenarioPerTest, snapshotDatabase } from "./rollback-fixture.ts";

const world = scenarioPerTest();
const execFileAsync = promisify(execFile);

function database(config: AgentConfig): NonNullable<AgentConfig["project"]["database"]> {
  const db = config.project.database;
  if (!db) throw new Error("the scenario has no database");
  return db;
}

function withDatabase(s: Scenario, change: Partial<NonNullable<AgentConfig["project"]["database"]>>): Scenario {
  const config = { ...s.config, project: { ...s.config.project, database: { ...database(s.config), ...change } } };
  return { ...s, config };
}

/** Replaces the backup's dump with `sql` (gzipped), and the manifest's size and sha256 with the new file's. */
/**
 * Puts `text` in place of the dump and its size and sha256 in the manifest, as a manifest written
 * before decompressed sizes were recorded (then preflight decompresses the file whole), or with
 * `unpackedBytes` as one that vouches for the file as proven whole when it was written.
 */
async function replaceDump(s: Scenario, text: string, vouched?: { unpackedBytes: number }): Promise<string> {
  const file = s.manifest.database?.file.path ?? "";
  const gz = gzipSync(text);
  await writeFile(path.join(s.backupDir, file), gz);
  const manifestFile = path.join(s.backupDir, "manifest.json");
  const manifest = JSON.parse(await readFile(manifestFile, "utf8")) as BackupManifest;
  if (!manifest.database) throw new Error("the backup has no database");
  const { path: name } = manifest.database.file;
  manifest.database.file = { path: name, bytes: gz.length, sha256: createHash("sha256").update(gz).digest("hex"), ...vouched };
  await writeFile(manifestFile, JSON.stringify(manifest, null, 2));
  return file;
}

async function dumpText(s: Scenario): Promise<string> {
  return gunzipSync(await readFile(path.join(s.backupDir, s.manifest.database?.file.path ?? ""))).toString("utf8");
}

/** A bin directory whose `pg_dump` runs the real one but ends as `ending` says (the seed's pipe without pipefail). */
async function fakePgDump(realBin: string, ending: string): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), "rewind-fake-pgdump-"));
  const script = `#!/bin/sh\n"${realBin}/pg_dump" "$@" | head -c 3000\n${ending}\n`;
  await writeFile(path.join(dir, "pg_dump"), script);
  await chmod(path.join(dir, "pg_dump"), 0o755);
  return dir;
}

describe("cut-short dumps", () => {
  it("a backup whose pg_dump is cut short fails and leaves no backup, whether pg_dump was killed or its pipe lied", async () => {
    const s = await world.prepare();
    const db = database(s.config);
    const before = (await readdir(s.config.project.backupsDir)).sort();
    const quiet = { docker: world.docker, onProgress: () => undefined };

    const lying = await fakePgDump(db.binDir, "exit 0");
    const killing = await fakePgDump(db.binDir, "kill -KILL $$");
    try {
      const cut = await runBackup(withDatabase(s, { binDir: lying }).config, quiet).then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(isRewindError(cut, "STEP_FAILED")).toBe(true);
      expect((cut as Error).message).toContain("-- PostgreSQL database dump complete");
      expect((await readdir(s.config.project.backupsDir)).sort()).toEqual(before);

      const outFile = path.join(s.root, "killed.sql.gz");
      const killed = await dumpDatabase({ binDir: killing, url: s.databaseUrl, format: "plain-gzip", outFile }).then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(isRewindError(killed, "STEP_FAILED")).toBe(true);
      expect((killed as Error).message).toContain("killed by SIGKILL");
      expect((await readdir(s.root)).filter((name) => name.startsWith("killed"))).toEqual([]);
    } finally {
      await rm(lying, { recursive: true, force: true });
      await rm(killing, { recursive: true, force: true });
    }
  });

  it("a plain dump without pg_dump's trailer (valid gzip and sha256) is refused in preflight, naming the file", async () => {
    const s = await world.prepare();
    const text = await dumpText(s);
    // pg_dump died in the middle of the users' COPY: jobs, keys and sequence positions never written.
    const file = await replaceDump(s, text.slice(0, text.indexOf("ana@example.com")));
    const before = await containerStates(world.docker, s);

    const report = await world.rollback(s, "cutshort");

    await expectRefusedInPreflight(world.docker, s, report, file, before);
    expect(report.error?.message).toContain("-- PostgreSQL database dump complete");
    expect(report.steps.map((step) => step.id)).toEqual(["preflight"]);
  });

  it("a plain dump without the trailer that its manifest vouches for is still refused by the stage, before anything stops", async () => {
    const s = await world.prepare();
    const text = await dumpText(s);
    // Cut after the last statement, before the trailer: psql itself finds nothing wrong.
    const cut = text.slice(0, text.indexOf("-- PostgreSQL database dump complete"));
    // A manifest that lies (hand-edited, or a writer that did not check): preflight trusts its sha256, the restore does not.
    const file = await replaceDump(s, cut, { unpackedBytes: Buffer.byteLength(cut) });
    const before = await containerStates(world.docker, s);

    const report = await world.rollback(s, "vouched");

    expect(report.state).toBe("failed");
    expect(report.error).toMatchObject({ step: "stage" });
    expect(report.error?.message).toContain(`${path.basename(file)} ends without "-- PostgreSQL database dump complete"`);
    expect(report.steps.some((step) => step.id === "stop-services")).toBe(false);
    expect(await containerStates(world.docker, s)).toEqual(before);
    expect(await snapshotDatabase(s.databaseUrl)).toEqual(s.v2.tables);
    expect((await databaseNames(world.cluster)).filter((name) => name.startsWith(s.database))).toEqual([s.database]);
  });

  it("a manifest naming a pg_dump directory-format dump is refused in preflight, saying why and what to do", async () => {
    const s = await world.prepare();
    const dir = "db_directory";
    await execFileAsync(path.join(world.cluster.bin, "pg_dump"), ["--format=directory", "--file", path.join(s.backupDir, dir), s.databaseUrl]);
    const manifestFile = path.join(s.backupDir, "manifest.json");
    const manifest = JSON.parse(await readFile(manifestFile, "utf8")) as BackupManifest;
    if (!manifest.database) throw new Error("the backup has no database");
    manifest.database = { ...manifest.database, format: "directory", file: { ...manifest.database.file, path: dir } };
    await writeFile(manifestFile, JSON.stringify(manifest, null, 2));
    const before = await containerStates(world.docker, s);

    const report = await world.rollback(s, "directory");

    await expectRefusedInPreflight(world.docker, s, report, "pg_dump's directory format, which Rewind does not restore", before);
    expect(report.error?.message).toContain(dir);
  });
});

describe("database-level properties", () => {
  it("the rolled-back database keeps the live encoding, locale, owner, ACL, settings and comment", async () => {
    const s = await world.prepare({
      createDatabase: "TEMPLATE template0 ENCODING 'LATIN1' LC_COLLATE 'C' LC_CTYPE 'C' LOCALE_PROVIDER icu ICU_LOCALE 'de-DE'",
    });
    const admin = world.cluster.adminUrl;
    const [owner, reader, outsider] = [`app owner ${s.runId}`, `reader_${s.runId}`, `outsider_${s.runId}`];
    const q = pg.escapeIdentifier;
    const db = q(s.database);
    for (const statement of [
      `CREATE ROLE ${q(owner)} LOGIN`,
      `CREATE ROLE ${q(reader)} LOGIN`,
      `CREATE ROLE ${q(outsider)} LOGIN`,
      `ALTER DATABASE ${db} OWNER TO ${q(owner)}`,
      `ALTER DATABASE ${db} CONNECTION LIMIT 40`,
      `REVOKE CONNECT, TEMPORARY ON DATABASE ${db} FROM PUBLIC`,
      `GRANT CONNECT ON DATABASE ${db} TO ${q(reader)}`,
      `ALTER DATABASE ${db} SET work_mem = '8MB'`,
      `ALTER DATABASE ${db} SET search_path = "$user", public`,
      `ALTER ROLE ${q(reader)} IN DATABASE ${db} SET default_transaction_read_only = on`,
      `COMMENT ON DATABASE ${db} IS 'schedgen''s data: do not grant CONNECT to PUBLIC'`,
    ]) {
      await sql(admin, statement);
    }
    const before = await databaseFacts(admin, s.database);

    const report = await world.rollback(s, "props");

    expect(report.state).toBe("succeeded");
    expect(await snapshotDatabase(s.databaseUrl)).toEqual(s.v1.tables);
    const { oid: oldOid, ...kept } = before;
    const { oid: newOid, ...after } = await databaseFacts(admin, s.database);
    expect(newOid).not.toBe(oldOid);
    expect(after).toEqual(kept);
    expect(after).toMatchObject({ encoding: "LATIN1", datlocprovider: "i", daticulocale: "de-DE", datconnlimit: 40 });
    // What the application and its users notice: PUBLIC still cannot connect, the reader can, read-only.
    const as = (role: string): string => {
      const url = new URL(s.databaseUrl);
      url.username = encodeURIComponent(role);
      return url.toString();
    };
    await expect(sql(as(outsider), "SELECT 1")).rejects.toThrow(/permission denied for database/);
    const [session] = await sql<{ ro: string; wm: string }>(
      as(reader),
      "SELECT current_setting('default_transaction_read_only') AS ro, current_setting('work_mem') AS wm",
    );
    expect(session).toEqual({ ro: "on", wm: "8MB" });
  });
});

describe("large objects", () => {
  it("a database with 20,000 large objects is backed up and rolled back whole", async () => {
    const count = 20_000;
    const contents =
      "SELECT count(DISTINCT loid)::int AS objects, md5(string_agg(encode(data, 'hex'), '' ORDER BY loid, pageno)) AS digest FROM pg_largeobject";
    let backedUp: unknown;
    const s = await world.prepare({
      beforeBackup: async (url) => {
        await sql(url, `DO $$ BEGIN FOR i IN 1..${count} LOOP PERFORM lo_from_bytea(0, convert_to('calendar ' || i, 'UTF8')); END LOOP; END $$`);
        [backedUp] = await sql(url, contents);
      },
    });
    // Written under the bad release: gone after the rollback.
    await sql(s.databaseUrl, "SELECT lo_from_bytea(0, 'v2 upload'::bytea)");

    const report = await world.rollback(s, "largeobjects");

    expect(report.error).toBeUndefined();
    expect(report.state).toBe("succeeded");
    const [metadata] = await sql<{ n: number }>(s.databaseUrl, "SELECT count(*)::int AS n FROM pg_largeobject_metadata");
    expect(metadata?.n).toBe(count);
    expect(await sql(s.databaseUrl, contents)).toEqual([backedUp]);
    expect(await snapshotDatabase(s.databaseUrl)).toEqual(s.v1.tables);
  });
});

describe("timeouts", () => {
  it("a restore that hangs is stopped at the tool timeout, before any service stops, with no staged copy left", async () => {
    const s = await world.prepare();
    const text = await dumpText(s);
    const at = text.indexOf("COPY public.users");
    // The dump sets statement_timeout = 0 itself: only the tool timeout can stop this.
    await replaceDump(s, `${text.slice(0, at)}SELECT pg_sleep(600);\n${text.slice(at)}`);
    const before = await containerStates(world.docker, s);
    const hung = withDatabase(s, { timeouts: { ...database(s.config).timeouts, toolSeconds: 3 } });

    const started = Date.now();
    const report = await world.rollback(hung, "hung");

    expect(Date.now() - started).toBeLessThan(60_000);
    expect(report.state).toBe("failed");
    expect(report.error).toMatchObject({ step: "stage", code: "STEP_FAILED" });
    expect(report.error?.message).toContain("did not finish within 3 s");
    expect(report.steps.map((step) => step.id)).not.toContain("stop-services");
    expect(await containerStates(world.docker, s)).toEqual(before);
    expect(await snapshotDatabase(s.databaseUrl)).toEqual(s.v2.tables);
    expect((await databaseNames(world.cluster)).filter((name) => name.startsWith(s.database))).toEqual([s.database]);
    const sleeping = await sql(world.cluster.adminUrl, "SELECT pid FROM pg_stat_activity WHERE query LIKE 'SELECT pg_sleep(600)%'");
    expect(sleeping).toEqual([]);
  });
});

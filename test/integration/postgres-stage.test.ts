// The staged database and the PostgreSQL timeouts against a real PostgreSQL 15 cluster, without
// Docker: awkward names quoted end to end, the live properties copied, defaults with no live
// database, large objects through pg_restore, and connect and statement timeouts that fire.
import { mkdir, mkdtemp, rm, symlink } from "node:fs/promises";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { withPg } from "../../agent/src/host/pg-connect.ts";
import { dumpDatabase } from "../../agent/src/host/pg-dump.ts";
import { urlForDatabase } from "../../agent/src/host/postgres-restore.ts";
import { listCustomDump, restoreIntoStage } from "../../agent/src/host/postgres-stage.ts";
import { exportSnapshot, tableCounts, tableNames } from "../../agent/src/host/postgres-stats.ts";
import { isRewindError } from "../../shared/errors.ts";
import { type PgCluster, startPostgres } from "../world/postgres.ts";
import { freePort } from "../world/ports.ts";
import { databaseFacts, sql } from "./database-facts.ts";

const q = pg.escapeIdentifier;

describe("the staged database on a real cluster", () => {
  let cluster: PgCluster;
  let dir: string;
  beforeAll(async () => {
    cluster = await startPostgres();
    dir = await mkdtemp(path.join(tmpdir(), "rewind-stage-test-"));
  });
  afterAll(async () => {
    await cluster?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it("an awkwardly named live database: the stage gets its locale, owner, ACL, settings and comment, and is analysed", async () => {
    const live = `we"ird 'db' é`;
    const stage = `${live}__rewind_stage`;
    const [owner, reader] = [`Own"er`, "read er"];
    for (const statement of [
      `CREATE ROLE ${q(owner)} LOGIN`,
      `CREATE ROLE ${q(reader)} LOGIN`,
      `CREATE DATABASE ${q(live)} TEMPLATE template0 ENCODING 'LATIN1' LC_COLLATE 'C' LC_CTYPE 'C' LOCALE_PROVIDER icu ICU_LOCALE 'sv-SE' OWNER ${q(owner)} CONNECTION LIMIT 7`,
      `REVOKE ALL ON DATABASE ${q(live)} FROM PUBLIC`,
      `GRANT CONNECT ON DATABASE ${q(live)} TO ${q(reader)} WITH GRANT OPTION`,
      `ALTER DATABASE ${q(live)} SET search_path = "We""ird", public`,
      `ALTER DATABASE ${q(live)} SET app.note = 'it''s C:\\temp'`,
      `ALTER ROLE ${q(reader)} IN DATABASE ${q(live)} SET statement_timeout = '5s'`,
      `COMMENT ON DATABASE ${q(live)} IS 'the live one''s comment'`,
    ]) {
      await sql(cluster.adminUrl, statement);
    }
    await sql(cluster.urlFor(live), "CREATE TABLE t AS SELECT g AS id FROM generate_series(1, 1000) AS g");
    // The reader passes CONNECT on as itself: a grant whose grantor is not the owner. Granted from
    // the UTF8 maintenance database: inside the LATIN1 one the name's é would be converted.
    await sql(cluster.adminUrl, `CREATE ROLE viewer LOGIN`);
    const asReader = new URL(cluster.adminUrl);
    asReader.username = encodeURIComponent(reader);
    await sql(asReader.toString(), `GRANT CONNECT ON DATABASE ${q(live)} TO viewer`);
    const file = path.join(dir, "weird.sql.gz");
    await dumpDatabase({ binDir: cluster.bin, url: cluster.urlFor(live), format: "plain-gzip", outFile: file });

    await restoreIntoStage({ adminUrl: cluster.adminUrl, binDir: cluster.bin }, { file, format: "plain-gzip", within: dir }, live, stage);

    const { oid: _liveOid, ...expected } = await databaseFacts(cluster.adminUrl, live);
    const { oid: _stageOid, acl, ...actual } = await databaseFacts(cluster.adminUrl, stage);
    const { acl: liveAcl, ...expectedRest } = expected;
    expect(actual).toEqual(expectedRest);
    // Same grants; only the database they name differs.
    expect(acl).toEqual(liveAcl);
    expect(expected).toMatchObject({ encoding: "LATIN1", daticulocale: "sv-SE", datconnlimit: 7, owner });
    const [analysed] = await sql<{ n: number }>(
      cluster.urlFor(stage),
      "SELECT count(*)::int AS n FROM pg_stat_user_tables WHERE relname = 't' AND last_analyze IS NOT NULL",
    );
    expect(analysed?.n).toBe(1);
  });

  it("with no live database, the stage is a plain new database of the server's defaults", async () => {
    await sql(cluster.adminUrl, "CREATE DATABASE source_for_default");
    await sql(cluster.urlFor("source_for_default"), "CREATE TABLE t (id int PRIMARY KEY)");
    const file = path.join(dir, "default.sql.gz");
    await dumpDatabase({ binDir: cluster.bin, url: cluster.urlFor("source_for_default"), format: "plain-gzip", outFile: file });

    await restoreIntoStage({ adminUrl: cluster.adminUrl, binDir: cluster.bin }, { file, format: "plain-gzip", within: dir }, "gone", "gone__rewind_stage");

    expect(await databaseFacts(cluster.adminUrl, "gone__rewind_stage")).toMatchObject({
      encoding: "UTF8",
      datcollate: "C",
      datlocprovider: "c",
      owner: "postgres",
      datconnlimit: -1,
      acl: null,
      comment: null,
      settings: null,
    });
  });

  it("a database named with URL delimiters (? # % : @ / ...) is counted, dumped, staged and analysed under its own name", async () => {
    // node-pg reads a URL's database with decodeURI, which leaves %3F, %23, %3A... encoded: the
    // name must reach it as a field. Plain SQL with the name as a field checks the result.
    const live = "app?x#y%z:@&=+$,;/ü";
    const stage = `${live}__rewind_stage`;
    const direct = (database: string): pg.ClientConfig => ({ host: cluster.host, port: cluster.port, user: cluster.user, database });
    await sql(cluster.adminUrl, `CREATE DATABASE ${q(live)}`);
    const seed = new pg.Client(direct(live));
    await seed.connect();
    await seed.query("CREATE TABLE t AS SELECT g AS id FROM generate_series(1, 3) AS g");
    await seed.end();
    const at = { url: cluster.adminUrl, database: live };
    const expected = [{ schema: "public", table: "t", rows: 3 }];
    expect(await tableCounts(at)).toEqual(expected);
    expect(await tableNames(at)).toEqual(new Set(["public.t"]));
    const snapshot = await exportSnapshot(at);
    const file = path.join(dir, "delimiters.sql.gz");
    await dumpDatabase({ binDir: cluster.bin, url: urlForDatabase(cluster.adminUrl, live), format: "plain-gzip", outFile: file, snapshot: snapshot.id });
    expect(await snapshot.counts()).toEqual(expected);
    await snapshot.close();

    await restoreIntoStage({ adminUrl: cluster.adminUrl, binDir: cluster.bin }, { file, format: "plain-gzip", within: dir }, live, stage);

    expect(await tableCounts({ url: cluster.adminUrl, database: stage })).toEqual(expected);
    const check = new pg.Client(direct(stage));
    await check.connect();
    const analysed = await check.query<{ n: number }>("SELECT count(*)::int AS n FROM pg_stat_user_tables WHERE relname = 't' AND last_analyze IS NOT NULL");
    await check.end();
    expect(analysed.rows[0]?.n).toBe(1);
  });

  it("restores 20,000 large objects from pg_dump's custom format", async () => {
    await sql(cluster.adminUrl, "CREATE DATABASE blobs");
    await sql(cluster.urlFor("blobs"), "DO $$ BEGIN FOR i IN 1..20000 LOOP PERFORM lo_from_bytea(0, convert_to('blob ' || i, 'UTF8')); END LOOP; END $$");
    const file = path.join(dir, "blobs.dump");
    await dumpDatabase({ binDir: cluster.bin, url: cluster.urlFor("blobs"), format: "custom", outFile: file });

    await restoreIntoStage({ adminUrl: cluster.adminUrl, binDir: cluster.bin }, { file, format: "custom", within: dir }, "blobs", "blobs__rewind_stage");

    const [count] = await sql<{ n: number }>(cluster.urlFor("blobs__rewind_stage"), "SELECT count(*)::int AS n FROM pg_largeobject_metadata");
    expect(count?.n).toBe(20_000);
  });

  it("refuses a dump (plain or custom) swapped for a symlink out of its backup directory after it was checked, leaving no stage", async () => {
    await sql(cluster.adminUrl, "CREATE DATABASE swapped");
    await sql(cluster.urlFor("swapped"), "CREATE TABLE t AS SELECT 1 AS id");
    const backupDir = path.join(dir, "swapped-backup");
    const elsewhere = path.join(dir, "elsewhere");
    await mkdir(backupDir);
    await mkdir(elsewhere);
    for (const [format, name] of [
      ["plain-gzip", "swapped.sql.gz"],
      ["custom", "swapped.dump"],
    ] as const) {
      const copy = path.join(elsewhere, name);
      await dumpDatabase({ binDir: cluster.bin, url: cluster.urlFor("swapped"), format, outFile: copy });
      const file = path.join(backupDir, name);
      await symlink(copy, file);
      const refusal = expect.objectContaining({ code: "BACKUP_INVALID", message: expect.stringContaining(`(it really is ${copy})`) });

      const target = { adminUrl: cluster.adminUrl, binDir: cluster.bin };
      await expect(restoreIntoStage(target, { file, format, within: backupDir }, "swapped", "swapped__rewind_stage")).rejects.toThrow(refusal);
      const [stage] = await sql<{ n: number }>(cluster.adminUrl, "SELECT count(*)::int AS n FROM pg_database WHERE datname = 'swapped__rewind_stage'");
      expect(stage?.n).toBe(0);
      if (format === "custom") await expect(listCustomDump(cluster.bin, { file, within: backupDir })).rejects.toThrow(refusal);
    }
  });
});

describe("PostgreSQL timeouts", () => {
  let cluster: PgCluster;
  let silent: Server | undefined;
  beforeAll(async () => {
    cluster = await startPostgres();
  });
  afterAll(async () => {
    await cluster?.stop();
    silent?.close();
  });

  it("the server cancels a statement past statementSeconds; the session stays usable", async () => {
    const after = await withPg(
      cluster.adminUrl,
      async (client) => {
        const error = await client.query("SELECT pg_sleep(30)").then(
          () => undefined,
          (e: unknown) => e,
        );
        expect((error as { code?: string }).code).toBe("57014");
        return (await client.query<{ one: number }>("SELECT 1 AS one")).rows[0]?.one;
      },
      { connectSeconds: 5, statementSeconds: 1 },
    );
    expect(after).toBe(1);
  });

  it("a server that accepts but never answers is UNAVAILABLE after connectSeconds", async () => {
    const port = await freePort();
    silent = createServer(() => undefined);
    await new Promise<void>((resolve) => silent?.listen(port, "127.0.0.1", resolve));
    const started = Date.now();
    const error = await withPg(`postgresql://postgres@127.0.0.1:${port}/postgres`, async () => undefined, { connectSeconds: 1, statementSeconds: 5 }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isRewindError(error, "UNAVAILABLE")).toBe(true);
    expect(Date.now() - started).toBeLessThan(5_000);
  });
});

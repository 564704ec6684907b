// The swap's undo on a real PostgreSQL cluster: it brings back the database that was live at
// preflight (by OID), sets aside what served after start, drops only the staged copy whose OID it
// recorded, and never drops the live database, also under long Cyrillic names cut at 63 bytes.
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { databaseNamesOnServer, databaseOid, dropDatabaseWithOid, swapDatabases, unswapDatabases } from "../../agent/src/host/postgres-swap.ts";
import { derivedDatabaseNames, derivedNamesProblem } from "../../agent/src/rollback/names.ts";
import { newRunId } from "../world/docker.ts";
import { type PgCluster, startPostgres } from "../world/postgres.ts";

let cluster: PgCluster;

beforeAll(async () => {
  cluster = await startPostgres();
});

afterAll(async () => {
  await cluster?.stop();
});

async function sql(url: string, text: string): Promise<pg.QueryResult> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await client.query(text);
  } finally {
    await client.end();
  }
}

/** A database holding one row that says which it is. */
async function createMarked(name: string, marker: string): Promise<number> {
  await sql(cluster.adminUrl, `CREATE DATABASE ${pg.escapeIdentifier(name)}`);
  await sql(cluster.urlFor(name), `CREATE TABLE marker AS SELECT ${pg.escapeLiteral(marker)}::text AS what`);
  return (await databaseOid(cluster.adminUrl, name)) ?? -1;
}

async function markerOf(name: string): Promise<string> {
  return (await sql(cluster.urlFor(name), "SELECT what FROM marker")).rows[0]?.what as string;
}

/** The swap of a rollback: a live and a staged database, swapped; returns the names and OIDs. */
async function swapped(live: string, rollbackId: string) {
  const names = derivedDatabaseNames(live, rollbackId);
  expect(derivedNamesProblem(live, names, await databaseNamesOnServer(cluster.adminUrl))).toBeUndefined();
  const preOid = await createMarked(live, "pre-rollback");
  const stagedOid = await createMarked(names.stage, "restored");
  await swapDatabases(cluster.adminUrl, { live, stage: names.stage, aside: names.pre });
  expect(await markerOf(live)).toBe("restored");
  return { names, preOid, stagedOid, undo: { live, aside: names.pre, post: names.post, preOid, stagedOid } };
}

describe("undoing a swap", () => {
  it("sets the restored database aside once services ran on it, with the rows written since", async () => {
    const live = `app_${newRunId()}`;
    const { names, undo } = await swapped(live, "rb-served");
    await sql(cluster.urlFor(live), "INSERT INTO marker VALUES ('written after start')");

    const result = await unswapDatabases(cluster.adminUrl, { ...undo, served: true });

    expect(result).toEqual({ restored: true, setAside: names.post });
    expect(await markerOf(live)).toBe("pre-rollback");
    expect((await sql(cluster.urlFor(names.post), "SELECT what FROM marker ORDER BY 1")).rows.map((r) => r.what)).toEqual(["restored", "written after start"]);
    // Run again (a resumed undo): nothing more to do, the set-aside copy is still reported.
    expect(await unswapDatabases(cluster.adminUrl, { ...undo, served: true })).toEqual({ restored: false, setAside: names.post });
  });

  it("finishes an undo cut between its two renames and still names the set-aside copy", async () => {
    const live = `app_${newRunId()}`;
    const { names, undo } = await swapped(live, "rb-cut");
    await sql(cluster.adminUrl, `ALTER DATABASE ${pg.escapeIdentifier(live)} RENAME TO ${pg.escapeIdentifier(names.post)}`);

    expect(await unswapDatabases(cluster.adminUrl, { ...undo, served: true })).toEqual({ restored: true, setAside: names.post });
    expect(await markerOf(live)).toBe("pre-rollback");
    expect(await markerOf(names.post)).toBe("restored");
  });

  it("drops the restored copy that never served, by its recorded OID", async () => {
    const live = `app_${newRunId()}`;
    const { names, undo } = await swapped(live, "rb-unserved");

    const result = await unswapDatabases(cluster.adminUrl, { ...undo, served: false });

    expect(result).toEqual({ restored: true, dropped: live });
    expect(await markerOf(live)).toBe("pre-rollback");
    const all = await databaseNamesOnServer(cluster.adminUrl);
    expect([names.stage, names.pre, names.post].filter((n) => all.has(n))).toEqual([]);
  });

  it("sets aside, never drops, a live database whose OID is not the staged copy's", async () => {
    const live = `app_${newRunId()}`;
    const { names, undo, stagedOid } = await swapped(live, "rb-other");

    const result = await unswapDatabases(cluster.adminUrl, { ...undo, stagedOid: stagedOid + 1000, served: false });

    expect(result).toEqual({ restored: true, setAside: names.post });
    expect(await markerOf(names.post)).toBe("restored");
    expect(await markerOf(live)).toBe("pre-rollback");
  });

  it("refuses to bring back a database that was not live at preflight, and leaves the live one alone", async () => {
    const live = `app_${newRunId()}`;
    const names = derivedDatabaseNames(live, "rb-clash");
    const liveOid = await createMarked(live, "live");
    // Something else sits under the set-aside name (the collision of cut names issue 13 describes).
    await createMarked(names.pre, "not ours");

    await expect(
      unswapDatabases(cluster.adminUrl, { live, aside: names.pre, post: names.post, preOid: liveOid + 1000, stagedOid: liveOid, served: false }),
    ).rejects.toMatchObject({ code: "STEP_FAILED", message: expect.stringContaining("is not the database that was live before the rollback") });
    expect(await markerOf(live)).toBe("live");
    expect(await markerOf(names.pre)).toBe("not ours");
  });

  it("drops by name only the database with the recorded OID", async () => {
    const name = `app_${newRunId()}`;
    const oid = await createMarked(name, "keep me");
    expect(await dropDatabaseWithOid(cluster.adminUrl, name, oid + 1000)).toBe(false);
    expect(await markerOf(name)).toBe("keep me");
    expect(await dropDatabaseWithOid(cluster.adminUrl, name, oid)).toBe(true);
    expect(await databaseOid(cluster.adminUrl, name)).toBeUndefined();
  });

  it("keeps a 54-byte Cyrillic database and its derived copies apart on the server", async () => {
    const live = `расписаниезаданийпо${newRunId().slice(0, 16)}`.slice(0, 35);
    expect(Buffer.byteLength(live)).toBeGreaterThanOrEqual(50);
    const { names, undo } = await swapped(live, "0f3c9a7e-5b1d-4c2a-9e8f-123456789abc");
    const all = await databaseNamesOnServer(cluster.adminUrl);
    // The server stored each name exactly as derived (nothing cut further, nothing merged).
    expect(all.has(live) && all.has(names.pre)).toBe(true);
    await sql(cluster.urlFor(live), "INSERT INTO marker VALUES ('written after start')");

    expect(await unswapDatabases(cluster.adminUrl, { ...undo, served: true })).toEqual({ restored: true, setAside: names.post });
    expect(await markerOf(live)).toBe("pre-rollback");
    expect(await markerOf(names.post)).toBe("restored");
  });
});

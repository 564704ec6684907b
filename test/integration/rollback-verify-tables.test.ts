// Verify after start checks that every table of the manifest exists on the live database (row
// counts were checked on the staged copy): a table gone once the swap is done (a job of the
// restored release dropping it) fails the rollback, which is undone with the restored data set
// aside and named, not dropped.
import pg from "pg";
import { describe, expect, it } from "vitest";
import { setAsidePostDatabase } from "../../agent/src/rollback/names.ts";
import { databaseNames, scenarioPerTest, snapshotDatabase } from "./rollback-fixture.ts";

const world = scenarioPerTest();

describe("verify after start", () => {
  it("fails on a manifest table missing from the live database, and the undo keeps the restored data", async () => {
    const s = await world.prepare();
    expect(s.manifest.database?.tables.map((t) => `${t.schema}.${t.table}`)).toContain("public.users");
    let dropped: Promise<void> | undefined;
    const report = await world.rollback(s, "verify-tables", {
      onProgress: (event) => {
        // The restored database is live and nothing runs on it yet: the table goes before start.
        if (event.step === "swap" && event.state === "succeeded" && dropped === undefined) {
          const client = new pg.Client({ connectionString: s.databaseUrl });
          dropped = client
            .connect()
            .then(() => client.query("DROP TABLE public.users CASCADE"))
            .finally(() => client.end())
            .then(() => undefined);
        }
      },
    });
    await dropped;

    expect(dropped).toBeDefined();
    expect(report.state).toBe("undone");
    expect(report.error?.step).toBe("verify");
    expect(report.error?.message).toContain("tables of the backup missing from the live database: public.users");
    expect(await snapshotDatabase(s.databaseUrl)).toEqual(s.v2.tables);
    const post = setAsidePostDatabase(s.database, `rb-verify-tables-${s.runId}`);
    expect(report.undoSetAside?.database).toBe(post);
    expect(await databaseNames(world.cluster)).toContain(post);
    expect(Object.keys(await snapshotDatabase(world.cluster.urlFor(post)))).not.toContain("table:users");
  });
});

// Restoring the same database from Rewind's own backup format (`rewind backup --format custom`:
// pg_dump's custom archive, staged by Rewind with `pg_restore --jobs`) beside the seed runbook's
// `gunzip -c | psql` of the plain dump into a fresh database. Both dumps are written by Rewind's own
// dumpDatabase from one database in one cluster, in the same run; the two restores alternate over
// rounds and the medians are compared.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import pg from "pg";
import { dumpDatabase } from "../agent/src/host/pg-dump.ts";
import { restoreIntoStage } from "../agent/src/host/postgres-stage.ts";
import { startPostgres } from "../test/world/postgres.ts";
import { alternating, median, shell } from "./rounds.ts";

export interface RestoreFormatRow {
  databaseMB: number;
  rounds: number;
  /** Medians over the rounds, seconds. */
  seedSeconds: number;
  rewindCustomSeconds: number;
}

const round = (n: number): number => Math.round(n * 10) / 10;

async function sql(url: string, text: string): Promise<pg.QueryResult> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await client.query(text);
  } finally {
    await client.end();
  }
}

export async function restoreFormatBench(targetMB = 512, rounds = 3): Promise<RestoreFormatRow> {
  const cluster = await startPostgres();
  const dir = await mkdtemp(path.join(tmpdir(), "rewind-bench-restore-"));
  try {
    await sql(cluster.adminUrl, "CREATE DATABASE app");
    const url = cluster.urlFor("app");
    // Two tables with indexes, as an application has: rows of ~200 bytes.
    const rows = Math.round((targetMB * 1024 * 1024) / 2 / 260);
    await sql(
      url,
      `CREATE TABLE events (id bigint PRIMARY KEY, at timestamptz NOT NULL, host text NOT NULL, payload text NOT NULL);
       INSERT INTO events SELECT g, now() - g * interval '1 second', 'web-' || (g % 50), repeat(md5(g::text), 5) FROM generate_series(1, ${rows}) g;
       CREATE INDEX events_host_at ON events (host, at);
       CREATE TABLE orders (id bigint PRIMARY KEY, customer text NOT NULL, total numeric NOT NULL, note text NOT NULL);
       INSERT INTO orders SELECT g, 'c' || (g % 9973), g * 1.5, repeat(md5((g * 7)::text), 5) FROM generate_series(1, ${rows}) g;
       CREATE INDEX orders_customer ON orders (customer);`,
    );
    const size = await sql(url, "SELECT pg_database_size('app') AS bytes");
    const databaseMB = Math.round(Number(size.rows[0]?.bytes ?? 0) / 1024 / 1024);
    const plain = path.join(dir, "app.sql.gz");
    const custom = path.join(dir, "app.dump");
    await dumpDatabase({ binDir: cluster.bin, url, format: "plain-gzip", outFile: plain });
    await dumpDatabase({ binDir: cluster.bin, url, format: "custom", outFile: custom });

    const times: Record<"seed" | "rewind", number[]> = { seed: [], rewind: [] };
    let n = 0;
    for (const side of alternating(rounds, "seed", "rewind") satisfies ("seed" | "rewind")[]) {
      const target = `restore_${n++}`;
      const started = performance.now();
      if (side === "seed") {
        await sql(cluster.adminUrl, `CREATE DATABASE ${target}`);
        await shell(`gunzip -c "$DUMP" | "$PSQL" -q -v ON_ERROR_STOP=1 -d "$URL" >/dev/null`, {
          DUMP: plain,
          PSQL: path.join(cluster.bin, "psql"),
          URL: cluster.urlFor(target),
        });
      } else {
        await restoreIntoStage({ adminUrl: cluster.adminUrl, binDir: cluster.bin }, { file: custom, format: "custom", within: dir }, "app", target);
      }
      times[side].push((performance.now() - started) / 1000);
      // Each restore starts from the same disk use and no dirty buffers of the one before.
      await sql(cluster.adminUrl, `DROP DATABASE ${target}`);
      await sql(cluster.adminUrl, "CHECKPOINT");
    }
    return { databaseMB, rounds, seedSeconds: round(median(times.seed)), rewindCustomSeconds: round(median(times.rewind)) };
  } finally {
    await cluster.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

// A host whose application keeps writing (the seed's pdf-worker inserts jobs all the time): a writer
// inserts a job every 100 ms whenever the project's pdf-worker container runs, through the whole
// rollback. Row counts are checked on the staged copy before downtime, so the rollback succeeds and
// the rows written after start stay live; an undo after start sets them aside, named in the report.
// Also a 54-byte Cyrillic database name, whose derived names PostgreSQL must keep apart.
import { readdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import type Docker from "dockerode";
import pg from "pg";
import { describe, expect, it } from "vitest";
import { listProjectContainers } from "../../agent/src/host/compose.ts";
import { volumeDataDir } from "../../agent/src/host/volume.ts";
import { setAsideDirOf } from "../../agent/src/host/set-aside-dir.ts";
import { dataDirNames, setAsideDatabase, setAsidePostDatabase } from "../../agent/src/rollback/names.ts";
import type { BackupManifest } from "../../shared/schemas/manifest.ts";
import { databaseNames, type Scenario, scenarioPerTest, snapshotDatabase, snapshotFiles } from "./rollback-fixture.ts";

const world = scenarioPerTest();

interface Written {
  key: string;
  /** The pdf-worker container that was running when the row was written. */
  container: string;
}

/** Inserts a job every 100 ms into the live database while the project's pdf-worker runs (as Docker says). */
function startWriter(docker: Docker, s: Scenario): { rows: Written[]; stop(): Promise<void> } {
  const rows: Written[] = [];
  let running = true;
  let seq = 0;
  const loop = (async () => {
    while (running) {
      const tick = new Promise((resolve) => setTimeout(resolve, 100));
      const worker = (await listProjectContainers(docker, s.config.project.name)).find((c) => c.service === "pdf-worker" && c.state === "running");
      if (worker) {
        const key = `writer/${worker.id.slice(0, 12)}/${seq++}`;
        const client = new pg.Client({ connectionString: s.databaseUrl, connectionTimeoutMillis: 2000 });
        try {
          await client.connect();
          await client.query("INSERT INTO jobs (user_id, status, pdf_type, result_key, created_at) VALUES (1, 'completed', 'WEEKLY', $1, now())", [key]);
          rows.push({ key, container: worker.id });
        } catch {
          // The swap or the undo closes sessions on the database it renames: that write did not happen, the next one will.
        } finally {
          await client.end().catch(() => undefined);
        }
      }
      await tick;
    }
  })();
  return {
    rows,
    async stop() {
      running = false;
      await loop;
    },
  };
}

async function writerKeys(url: string): Promise<string[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const result = await client.query<{ key: string }>("SELECT result_key AS key FROM jobs WHERE result_key LIKE 'writer/%' ORDER BY id");
    return result.rows.map((r) => r.key);
  } finally {
    await client.end();
  }
}

async function workerId(s: Scenario): Promise<string> {
  const worker = (await listProjectContainers(world.docker, s.config.project.name)).find((c) => c.service === "pdf-worker");
  return worker?.id ?? "";
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** `rwc<runId>_` and Cyrillic letters: 54 bytes of UTF-8, and the run id survives every cut. */
const cyrillicName = (runId: string): string => {
  const prefix = `rwc${runId}_`;
  return `${prefix}${"расписаниезаданийпользователей".slice(0, (54 - prefix.length) / 2)}`;
};

describe("a rollback on a host whose application keeps writing", () => {
  it("succeeds, and the rows written after start are in the live database", async () => {
    const s = await world.prepare();
    const v2Worker = await workerId(s);
    const writer = startWriter(world.docker, s);
    await sleep(500);

    const report = await world.rollback(s, "live");
    // The restored application keeps writing a while after the rollback returns.
    await sleep(1000);
    await writer.stop();

    expect(report.error).toBeUndefined();
    expect(report.state).toBe("succeeded");
    const afterStart = writer.rows.filter((r) => r.container !== v2Worker).map((r) => r.key);
    const beforeStop = writer.rows.filter((r) => r.container === v2Worker).map((r) => r.key);
    expect(afterStart.length).toBeGreaterThanOrEqual(5);
    expect(beforeStop.length).toBeGreaterThanOrEqual(3);
    // Live: the backup's v1 rows, then only what the restored application wrote.
    expect(await writerKeys(s.databaseUrl)).toEqual(afterStart);
    // Set aside: v2 and what it wrote before it stopped.
    expect(await writerKeys(world.cluster.urlFor(report.setAside?.database ?? ""))).toEqual(beforeStop);
    const v1Jobs = (s.v1.tables["table:jobs"] as unknown[]).length;
    const live = await snapshotDatabase(s.databaseUrl);
    expect((live["table:jobs"] as unknown[]).length).toBe(v1Jobs + afterStart.length);
    expect(live["table:users"]).toEqual(s.v1.tables["table:users"]);
  });

  it("rolls back a database with a 54-byte Cyrillic name, keeping its derived names apart", async () => {
    const s = await world.prepare({ databaseName: cyrillicName });
    expect(Buffer.byteLength(s.database)).toBe(54);
    const rollbackId = `rb-cyrillic-${s.runId}`;

    const report = await world.rollback(s, "cyrillic");

    expect(report.error).toBeUndefined();
    expect(report.state).toBe("succeeded");
    expect(report.setAside?.database).toBe(setAsideDatabase(s.database, rollbackId));
    expect(await snapshotDatabase(s.databaseUrl)).toEqual(s.v1.tables);
    expect(await snapshotDatabase(world.cluster.urlFor(report.setAside?.database ?? ""))).toEqual(s.v2.tables);
    expect((await databaseNames(world.cluster)).filter((n) => n.includes(s.runId)).sort()).toEqual(
      [s.database, setAsideDatabase(s.database, rollbackId)].sort(),
    );
  });

  it("an undo after start keeps the rows written since in a set-aside database named in the report", async () => {
    const s = await world.prepare({ databaseName: cyrillicName, thresholds: { healthTimeoutSeconds: 8 } });
    const rollbackId = `rb-undo-live-${s.runId}`;
    // The backup claims the backend ran the broken v2 image: verify cannot get it healthy, so the undo runs after start.
    const v2Backend = (await listProjectContainers(world.docker, s.config.project.name)).find((c) => c.service === "backend");
    const manifestFile = path.join(s.backupDir, "manifest.json");
    const manifest = JSON.parse(await readFile(manifestFile, "utf8")) as BackupManifest;
    const services = manifest.services.map((svc) => (svc.service === "backend" ? { service: "backend", imageId: v2Backend?.imageId ?? "" } : svc));
    await writeFile(manifestFile, JSON.stringify({ ...manifest, services }, null, 2));
    const v2Worker = await workerId(s);
    const writer = startWriter(world.docker, s);
    await sleep(500);

    const report = await world.rollback(s, "undo-live");
    const undoneWorker = await workerId(s);
    await sleep(1000);
    await writer.stop();

    expect(report.state).toBe("undone");
    expect(report.error?.step).toBe("verify");
    const post = setAsidePostDatabase(s.database, rollbackId);
    expect(report.undoSetAside?.database).toBe(post);
    expect(report.setAside).toBeUndefined();
    const restoredRows = writer.rows.filter((r) => r.container !== v2Worker && r.container !== undoneWorker).map((r) => r.key);
    const liveRows = writer.rows.filter((r) => r.container === v2Worker || r.container === undoneWorker).map((r) => r.key);
    expect(restoredRows.length).toBeGreaterThanOrEqual(5);
    // What the restored application wrote is kept, not dropped, under the name the report gives.
    expect(await writerKeys(world.cluster.urlFor(post))).toEqual(restoredRows);
    // The live database is v2's, never dropped: its rows and all it was written before and after.
    expect(await writerKeys(s.databaseUrl)).toEqual(liveRows);
    expect((await snapshotDatabase(s.databaseUrl))["table:users"]).toEqual(s.v2.tables["table:users"]);
    const live = await volumeDataDir(world.docker, s.config.project.minio?.volume ?? "");
    expect(await snapshotFiles(live)).toEqual(s.v2.files);
    expect(report.undoSetAside?.minio).toBe(path.join(setAsideDirOf(live), dataDirNames(rollbackId).post));
    expect(await snapshotFiles(report.undoSetAside?.minio ?? "")).toEqual(s.v1.files);
    expect(await readdir(path.dirname(live))).toEqual(["_data"]);
  });
});

// `rewind status --local`, the real CLI on a host: the set-aside data copies (databases in a real
// PostgreSQL, MinIO directories beside a real Docker volume) and image holds (tags on a real image)
// the host keeps for an undo, each with its rollback, age and when retention may remove it. The
// rollbacks' reports in the state dir date them, as finished rollbacks leave them.
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import type Docker from "dockerode";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { keepTag, splitTag } from "../../agent/src/backup/keep-images.ts";
import { setAsideDirOf } from "../../agent/src/host/set-aside-dir.ts";
import { volumeDataDir } from "../../agent/src/host/volume.ts";
import type { KeptForUndo } from "../../agent/src/rollback/kept-for-undo.ts";
import { setAsideDataDir, setAsideDatabase, shortId } from "../../agent/src/rollback/names.ts";
import { buildDemoImage } from "../../infra/demo-stack/images.ts";
import { newRunId, removeLabelled, requireDocker, testLabels } from "../world/docker.ts";
import { freePort } from "../world/ports.ts";
import { type PgCluster, startPostgres } from "../world/postgres.ts";
import { runRewindCli } from "../world/rewind-cli.ts";

const day = 24 * 3600 * 1000;

describe("rewind status --local", () => {
  let docker: Docker;
  let cluster: PgCluster;
  let root: string;
  let runId: string;
  let project: string;
  let volume: string;
  let asideDir: string;
  let imageId: string;
  let raw: Record<string, unknown>;
  const now = Date.now();
  const rollbacks = { old: "rb-old", mid: "rb-mid", new: "rb-new" } as const;
  const endedAt = { old: now - 30 * day, mid: now - 3 * day, new: now - 1 * day };
  // Has a journal and no report yet: still running, or killed before its end.
  const running = "rb-running";

  const writeConfig = async (file: string, adminUrl: string): Promise<string> => {
    const project = raw.project as Record<string, unknown>;
    await writeFile(file, JSON.stringify({ ...raw, project: { ...project, database: { adminUrl, name: "shop" } } }));
    return file;
  };

  beforeAll(async () => {
    docker = await requireDocker();
    cluster = await startPostgres();
    runId = newRunId();
    project = `rwrb${runId}`;
    volume = `${project}_minio`;
    root = await mkdtemp(path.join(tmpdir(), "rewind-status-local-"));
    await docker.createVolume({ Name: volume, Labels: testLabels(runId) });
    asideDir = setAsideDirOf(await volumeDataDir(docker, volume));
    imageId = (await buildDemoImage(docker, "frontend", "v1", { labels: testLabels(runId), runId })).id;

    // Each finished rollback's report dates its copies; `orphan` has copies but no rollback at all.
    for (const [name, id] of Object.entries(rollbacks)) {
      await mkdir(path.join(root, "state", "rollbacks", id), { recursive: true });
      const finishedAt = new Date(endedAt[name as keyof typeof endedAt]).toISOString();
      await writeFile(path.join(root, "state", "rollbacks", id, "report.json"), JSON.stringify({ rollbackId: id, state: "succeeded", finishedAt }));
    }
    await mkdir(path.join(root, "state", "rollbacks", running), { recursive: true });
    await writeFile(path.join(root, "state", "rollbacks", running, "journal.jsonl"), "");
    const admin = new pg.Client({ connectionString: cluster.adminUrl });
    await admin.connect();
    for (const id of [rollbacks.old, rollbacks.new, "orphan", running]) await admin.query(`CREATE DATABASE "${setAsideDatabase("shop", id)}"`);
    await admin.end();
    for (const id of [rollbacks.old, rollbacks.mid]) await mkdir(path.join(asideDir, setAsideDataDir(id), "bucket"), { recursive: true });
    for (const id of [rollbacks.old, rollbacks.new]) await docker.getImage(imageId).tag(splitTag(keepTag(project, "web", `before-${shortId(id)}`)));

    raw = {
      host: "web-1",
      stateDir: path.join(root, "state"),
      project: { name: project, dir: path.join(root, "project"), minio: { volume, buckets: ["bucket"] } },
      retention: { setAside: 1, setAsideMinAgeDays: 7 },
    };
  });

  afterAll(async () => {
    if (runId !== undefined) await removeLabelled(docker, runId);
    if (asideDir !== undefined) await rm(asideDir, { recursive: true, force: true });
    await cluster?.stop();
    if (root !== undefined) await rm(root, { recursive: true, force: true });
  });

  it("lists every data copy and image hold with its rollback, age and when it may be pruned, human and --json", async () => {
    const config = await writeConfig(path.join(root, "agent.json"), cluster.adminUrl);
    const json = await runRewindCli(["status", "--local", "--config", config, "--json"]);
    expect(json.stderr).toBe("");
    expect(json.code).toBe(0);
    const view = JSON.parse(json.stdout) as KeptForUndo;
    expect(view.retention).toEqual({ setAside: 1, setAsideMinAgeDays: 7 });
    expect(view.unreadable).toEqual([]);
    const iso = (at: number) => new Date(at).toISOString();
    const dated = (name: keyof typeof rollbacks) => ({ rollbackId: rollbacks[name], setAsideAt: iso(endedAt[name]) });
    const tag = (id: string) => keepTag(project, "web", `before-${shortId(id)}`);
    expect(view.kept).toEqual(
      expect.arrayContaining([
        { kind: "database", location: setAsideDatabase("shop", rollbacks.old), ...dated("old"), prunable: "now" },
        {
          kind: "database",
          location: setAsideDatabase("shop", rollbacks.new),
          ...dated("new"),
          prunable: "after-newer",
          prunableFrom: iso(endedAt.new + 7 * day),
        },
        { kind: "database", location: setAsideDatabase("shop", "orphan"), prunable: "by-hand" },
        { kind: "database", location: setAsideDatabase("shop", running), rollbackId: running, prunable: "unfinished" },
        { kind: "minio", location: path.join(asideDir, setAsideDataDir(rollbacks.old)), ...dated("old"), prunable: "now" },
        {
          kind: "minio",
          location: path.join(asideDir, setAsideDataDir(rollbacks.mid)),
          ...dated("mid"),
          prunable: "from",
          prunableFrom: iso(endedAt.mid + 7 * day),
        },
        { kind: "image", location: tag(rollbacks.old), ...dated("old"), prunable: "now" },
        { kind: "image", location: tag(rollbacks.new), ...dated("new"), prunable: "after-newer", prunableFrom: iso(endedAt.new + 7 * day) },
      ]),
    );
    expect(view.kept).toHaveLength(8);

    const human = await runRewindCli(["status", "--local", "--config", config]);
    expect(human.code).toBe(0);
    const lines = human.stdout.split("\n");
    expect(lines[0]).toBe(`kept for an undo on web-1 (retention: the copies of the newest 1 rollback, and none younger than 7 days):`);
    const line = (location: string) => lines.find((l) => l.includes(location)) ?? "";
    expect(line(setAsideDatabase("shop", rollbacks.old))).toMatch(/^database .* rb-old +30 days ago +now: the next successful rollback removes it$/);
    expect(line(path.join(asideDir, setAsideDataDir(rollbacks.mid)))).toMatch(/^MinIO data .* rb-mid +3 days ago +from \d{4}-\d\d-\d\d \d\d:\d\d UTC$/);
    expect(line(tag(rollbacks.new))).toMatch(
      /^image hold .* rb-new +(24|23) h ago +once a newer rollback keeps its own, not before \d{4}-\d\d-\d\d \d\d:\d\d UTC$/,
    );
    expect(line(setAsideDatabase("shop", "orphan"))).toMatch(/never by retention: no rollback on this host dates it; remove it by hand once no undo needs it$/);
    expect(line(setAsideDatabase("shop", running))).toMatch(
      /rb-running +- +not while its rollback is unfinished \(running, or killed: rewind rollback --local --resume\)$/,
    );
  });

  it("still lists what it can read when the database server is down, names what it could not, and exits 1", async () => {
    const config = await writeConfig(path.join(root, "agent-down.json"), `postgres://postgres@127.0.0.1:${await freePort()}/postgres`);
    const result = await runRewindCli(["status", "--local", "--config", config]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^rewind: UNAVAILABLE: could not list the set-aside databases: /);
    expect(result.stdout).toContain(path.join(asideDir, setAsideDataDir(rollbacks.mid)));
    expect(result.stdout).toContain(keepTag(project, "web", `before-${shortId(rollbacks.new)}`));
    expect(result.stdout).not.toContain("__rewind_pre_");
  });
});

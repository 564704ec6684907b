// The test world itself: each fixture the other suites build on answers like the real thing,
// and the README's demo command starts a control plane that answers where it says it listens.
import { spawn } from "node:child_process";
import { once } from "node:events";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { GetObjectCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { Client as MinioClient } from "minio";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildDemoImages, type DemoImages } from "../../infra/demo-stack/images.ts";
import { type DemoStack, deployVersion, downStack, settledHealth, upStack, volumeDir } from "../../infra/demo-stack/stack.ts";
import { createDemoDatabase, demoRowCounts, seedDemoDatabase, seedMinioData } from "../world/demo-data.ts";
import { healthOf, newRunId, RUN_LABEL, removeLabelled, removeStale, requireDocker, testLabels, waitForHealth } from "../world/docker.ts";
import { STALE_MS } from "../world/global-setup.ts";
import { type PgCluster, requirePostgresBinaries, startPostgres } from "../world/postgres.ts";
import { type S3World, startS3 } from "../world/s3.ts";

async function text(url: string): Promise<{ status: number; body: string }> {
  const res = await fetch(url);
  return { status: res.status, body: (await res.text()).trim() };
}

describe("throwaway PostgreSQL", () => {
  let cluster: PgCluster;
  beforeAll(async () => {
    cluster = await startPostgres();
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  it("stores rows and reads them back", async () => {
    const client = new pg.Client({ connectionString: cluster.adminUrl });
    await client.connect();
    try {
      await client.query("CREATE TABLE notes (id serial PRIMARY KEY, body text NOT NULL)");
      await client.query("INSERT INTO notes (body) VALUES ($1), ($2)", ["first", "second"]);
      const { rows } = await client.query<{ body: string }>("SELECT body FROM notes ORDER BY id");
      expect(rows.map((r) => r.body)).toEqual(["first", "second"]);
    } finally {
      await client.end();
    }
  });
});

describe("a missing component", () => {
  it("fails with the Debian package to install, never a skip", async () => {
    const missing = requirePostgresBinaries("/nonexistent/postgresql/bin");
    await expect(missing).rejects.toMatchObject({ code: "UNAVAILABLE" });
    await expect(missing).rejects.toThrow(/apt-get install -y postgresql/);
  });
});

describe("demo data", () => {
  let cluster: PgCluster;
  beforeAll(async () => {
    cluster = await startPostgres();
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  async function counts(url: string): Promise<Record<string, number>> {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      const { rows } = await client.query<{ t: string; n: number }>(
        `SELECT 'migrations' AS t, count(*)::int AS n FROM migrations
         UNION ALL SELECT 'users', count(*)::int FROM users
         UNION ALL SELECT 'jobs', count(*)::int FROM jobs`,
      );
      return Object.fromEntries(rows.map((r) => [r.t, r.n]));
    } finally {
      await client.end();
    }
  }

  it("seeds the v1 schedgen tables, then the bad deploy's v2 changes on top", async () => {
    const url = await createDemoDatabase(cluster, "v1");
    expect(await counts(url)).toEqual(demoRowCounts.v1);
    await seedDemoDatabase(url, "v2");
    expect(await counts(url)).toEqual(demoRowCounts.v2);
    await seedDemoDatabase(url, "v2");
    expect(await counts(url)).toEqual(demoRowCounts.v2);
  });
});

describe("demo stack on a real Compose", () => {
  const runId = newRunId();
  const project = `rwt-${runId}`;
  let docker: Awaited<ReturnType<typeof requireDocker>>;
  let images: DemoImages;
  let stack: DemoStack | undefined;
  beforeAll(async () => {
    docker = await requireDocker();
    images = await buildDemoImages(docker, { runId });
  });
  afterAll(async () => {
    if (!docker) return;
    if (stack) await downStack(stack);
    await removeLabelled(docker, runId);
  });

  it("builds distinct v1 and v2 images for every service", () => {
    for (const service of ["minio", "backend", "frontend", "pdf-worker"] as const) {
      expect(images.v1[service].id).not.toBe(images.v2[service].id);
    }
  });

  it("runs v1 healthy, turns the app services unhealthy on a v2 deploy, and stops a container", async () => {
    stack = await upStack(docker, { project, version: "v1", labels: testLabels(runId), images });
    expect(await settledHealth(docker, stack)).toEqual({
      minio: "healthy",
      backend: "healthy",
      frontend: "healthy",
      "pdf-worker": "healthy",
    });
    expect(await text(`${stack.urls.backend}/health`)).toEqual({ status: 200, body: "ok" });
    // Compose named the containers (1.29: project_service_1, v2: project-service-1).
    expect([`${project}_backend_1`, `${project}-backend-1`]).toContain(stack.containers.backend.name);
    // Everything Compose created for the project carries the run's label, so cleanup and the sweep find it.
    const names = async (label: string) => {
      const filters = JSON.stringify({ label: [label] });
      const containers = (await docker.listContainers({ all: true, filters })).map((c) => c.Id);
      const networks = (await docker.listNetworks({ filters })).map((n) => n.Name);
      const volumes = ((await docker.listVolumes({ filters })).Volumes ?? []).map((v) => v.Name);
      return { containers: containers.sort(), networks, volumes };
    };
    const created = await names(`com.docker.compose.project=${project}`);
    expect(created.containers).toHaveLength(4);
    expect(created.networks).toHaveLength(1);
    expect(created.volumes).toEqual([stack.minioVolume]);
    expect(await names(`${RUN_LABEL}=${runId}`)).toEqual(created);
    // The per-run sweep of leftovers must never touch a live run's objects.
    await removeStale(docker, STALE_MS);
    expect((await docker.getContainer(stack.containers.backend.id).inspect()).State.Running).toBe(true);
    expect(await text(`${stack.urls.backend}/version`)).toEqual({ status: 200, body: "v1" });

    const info = await docker.getContainer(stack.containers.backend.id).inspect();
    expect(info.Config.Labels).toMatchObject({
      "com.docker.compose.project": project,
      "com.docker.compose.service": "backend",
      "rewind.test": "1",
    });

    await seedMinioData(await volumeDir(docker, stack.minioVolume), "v1");
    expect((await text(`${stack.urls.minio}/schedgen/calendars/week-48.ics`)).body).toContain("week 48 v1");

    const backendUrl = stack.urls.backend;
    const v1Containers = stack.containers;
    stack = await deployVersion(docker, stack, "v2");
    // Compose recreated what the release changed (app images and environment), not MinIO.
    expect(stack.containers.minio.id).toBe(v1Containers.minio.id);
    expect(stack.containers.backend.id).not.toBe(v1Containers.backend.id);
    expect((await docker.getContainer(stack.containers.backend.id).inspect()).Config.Env).toContain("SCHEDGEN_RELEASE=v2");
    await waitForHealth(docker, stack.containers.backend.id, "unhealthy");
    expect(await settledHealth(docker, stack)).toEqual({
      minio: "healthy",
      backend: "unhealthy",
      frontend: "unhealthy",
      "pdf-worker": "unhealthy",
    });
    expect(stack.urls.backend).toBe(backendUrl);
    expect(await text(`${stack.urls.backend}/version`)).toEqual({ status: 200, body: "v2" });
    expect((await text(`${stack.urls.backend}/health`)).status).toBe(404);

    await docker.getContainer(stack.containers.frontend.id).stop({ t: 5 });
    const stopped = await docker.getContainer(stack.containers.frontend.id).inspect();
    expect(stopped.State.Running).toBe(false);
    expect(await healthOf(docker, stack.containers.minio.id)).toBe("healthy");
  });
});

describe("S3 server on loopback", () => {
  let s3: S3World;
  beforeAll(async () => {
    s3 = await startS3();
    await s3.createBucket("world-test");
  });
  afterAll(async () => {
    await s3?.stop();
  });

  it("round-trips an object through @aws-sdk/client-s3", async () => {
    await s3.client.send(new PutObjectCommand({ Bucket: "world-test", Key: "a/b.txt", Body: "hello s3" }));
    const got = await s3.client.send(new GetObjectCommand({ Bucket: "world-test", Key: "a/b.txt" }));
    expect(await got.Body?.transformToString()).toBe("hello s3");
  });

  it("round-trips an object through the minio client", async () => {
    const url = new URL(s3.endpoint);
    const minio = new MinioClient({
      endPoint: url.hostname,
      port: Number(url.port),
      useSSL: false,
      pathStyle: true,
      region: s3.region,
      accessKey: s3.accessKeyId,
      secretKey: s3.secretAccessKey,
    });
    await minio.putObject("world-test", "from-minio.txt", Buffer.from("hello minio"));
    const stream = await minio.getObject("world-test", "from-minio.txt");
    const chunks: Buffer[] = [];
    for await (const chunk of stream) chunks.push(chunk as Buffer);
    expect(Buffer.concat(chunks).toString()).toBe("hello minio");
    const names: string[] = [];
    for await (const item of minio.listObjectsV2("world-test", "from-", true)) {
      if (item.name) names.push(item.name);
    }
    expect(names).toEqual(["from-minio.txt"]);
  });
});

describe("the README's demo command", () => {
  it("starts the control plane in workerd, prints where it listens, and stops on Ctrl-C", async () => {
    const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
    // As scripts/demo.sh runs it: node itself, so Ctrl-C reaches the demo, not a wrapper.
    const demo = spawn(process.execPath, ["--import", "tsx", "scripts/demo.ts"], { cwd: root });
    const exited = once(demo, "exit");
    let url = "";
    try {
      let output = "";
      demo.stdout.setEncoding("utf8");
      url = await new Promise<string>((resolve, reject) => {
        demo.stdout.on("data", (chunk: string) => {
          output += chunk;
          const match = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
          if (match?.[1]) resolve(match[1]);
        });
        demo.on("exit", (code) => reject(new Error(`demo exited (${code}) before listening:\n${output}`)));
      });
      expect((await fetch(`${url}/health`)).status).toBe(200);
      const jwks = (await (await fetch(`${url}/.well-known/jwks.json`)).json()) as { keys: { kty: string }[] };
      expect(jwks.keys.map((k) => k.kty)).toEqual(["OKP"]);
    } finally {
      demo.kill("SIGINT");
      await exited;
    }
    // 130 is the shell's code for a Ctrl-C'd program; nothing may keep listening after it.
    expect(demo.exitCode).toBe(130);
    await expect(fetch(`${url}/health`)).rejects.toThrow();
  });
});

// The test world itself: each fixture the other suites build on answers like the real thing.
import { GetObjectCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { Client as MinioClient } from "minio";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type PgCluster, startPostgres } from "../world/postgres.ts";
import { type S3World, startS3 } from "../world/s3.ts";

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

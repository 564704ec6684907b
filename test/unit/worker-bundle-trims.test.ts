// The Worker bundle's AWS SDK rewrites must change nothing the SDK computes: the schema modules,
// built with and without them, export equal schemas; only unused operations leave the bundle.
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { sha256 as nobleSha256 } from "@noble/hashes/sha2.js";
import { bytesToHex as nobleBytesToHex, utf8ToBytes as nobleUtf8ToBytes } from "@noble/hashes/utils.js";
import { is } from "drizzle-orm";
import { Hono as DefaultHono } from "hono";
import { isPgEnum as realIsPgEnum, PrimaryKeyBuilder as RealPrimaryKeyBuilder, integer as pgInteger, pgEnum, pgTable, primaryKey } from "drizzle-orm/pg-core";
import { integer, primaryKey as sqlitePrimaryKey, sqliteTable } from "drizzle-orm/sqlite-core";
import { build, type Plugin } from "esbuild";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { workerBuildOptions } from "../../scripts/build-worker.ts";
import { isPgEnum, PrimaryKeyBuilder } from "../../control-plane/src/db/no-pg-core.ts";
import { SignatureV4MultiRegion as RealSignatureV4MultiRegion } from "@aws-sdk/signature-v4-multi-region";
import { HttpRequest } from "@smithy/core/protocols";
import { AdaptiveRetryStrategy } from "../../control-plane/src/storage/no-adaptive-retry.ts";
import { Md5, Sha256 } from "../../control-plane/src/storage/no-md5.ts";
import { CreateSessionCommand, S3ExpressIdentityProviderImpl } from "../../control-plane/src/storage/no-s3-express.ts";
import { SignatureV4MultiRegion, SignatureV4SignWithCredentials } from "../../control-plane/src/storage/no-sigv4a.ts";
import { XmlShapeSerializer } from "../../control-plane/src/storage/no-xml-serializer.ts";
import { getFlexibleChecksumsPlugin, resolveFlexibleChecksumsConfig, Sha1 } from "../../control-plane/src/storage/no-flexible-checksums.ts";
import { EventStreamSerde, eventStreamSerdeProvider, resolveEventStreamSerdeConfig } from "../../control-plane/src/storage/no-event-streams.ts";
import { Hono as TrieHono } from "../../scripts/worker-stand-ins/hono.ts";
import { bytesToHex, sha256, utf8ToBytes } from "../../scripts/worker-stand-ins/node-sha256.ts";
import { awsSdkTrims, browserFile, inlineSchemaKeys, versionOnly } from "../../scripts/worker-bundle-trims.ts";

const require = createRequire(import.meta.url);
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "rewind-bundle-trims-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A schema as plain data: lazy references followed (once each), classes by name. */
function plain(value: unknown, seen = new Map<object, number>()): unknown {
  if (typeof value === "function") {
    if (value.prototype !== undefined) return `class ${value.name}`;
    return { lazy: plain((value as () => unknown)(), seen) };
  }
  if (typeof value !== "object" || value === null) return value;
  const ref = seen.get(value);
  if (ref !== undefined) return { ref };
  seen.set(value, seen.size);
  if (Array.isArray(value)) return value.map((item) => plain(item, seen));
  return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, plain(item, seen)]));
}

async function schemasModule(client: string, plugins: Plugin[]): Promise<Record<string, unknown>> {
  const schemas = path.join(path.dirname(require.resolve(`${client}/package.json`)), "dist-es/schemas/schemas_0.js");
  const outfile = path.join(dir, `${client.replace(/\W/g, "_")}-${plugins.length}.mjs`);
  await build({
    entryPoints: [schemas],
    bundle: true,
    format: "esm",
    platform: "neutral",
    mainFields: ["module", "main"],
    outfile,
    plugins,
    logLevel: "silent",
  });
  return (await import(pathToFileURL(outfile).href)) as Record<string, unknown>;
}

describe("the Worker bundle's AWS SDK trims", () => {
  it("write computed schema keys as the string constants they name, follow a package's browser map, nothing else", () => {
    const source = 'const _h = "http";\nconst _e = "error";\nconst n = 3;\nexport var A$ = [9, { [_h]: ["GET"], [_e]: _h, [n]: 1, [_x]: 2 }];\n';
    expect(inlineSchemaKeys(source)).toBe(
      'const _h = "http";\nconst _e = "error";\nconst n = 3;\nexport var A$ = [9, { ["http"]: ["GET"], ["error"]: _h, [n]: 1, [_x]: 2 }];\n',
    );
    const root = path.join("/x", "node_modules", "@smithy", "core");
    const browser = { "./dist-es/a/index.js": "./dist-es/a/index.browser.js", "./dist-es/b/toStream": "./dist-es/b/toStream.browser" };
    expect(browserFile(root, browser, path.join(root, "dist-es/a/index.js"))).toBe(path.join(root, "dist-es/a/index.browser.js"));
    expect(browserFile(root, browser, path.join(root, "dist-es/b/toStream"))).toBe(path.join(root, "dist-es/b/toStream.browser.js"));
    expect(browserFile(root, browser, path.join(root, "dist-es/b/toStream.js"))).toBe(path.join(root, "dist-es/b/toStream.browser.js"));
    expect(browserFile(root, browser, path.join(root, "dist-es/c/index.js"))).toBeUndefined();
    expect(browserFile(root, undefined, path.join(root, "dist-es/a/index.js"))).toBeUndefined();
    expect(versionOnly('{"name":"@aws-sdk/client-s3","version":"3.1.0","files":["dist-*/**"]}')).toBe('{"version":"3.1.0"}');
  });

  for (const client of ["@aws-sdk/client-s3", "@aws-sdk/client-sns"]) {
    it(`leave every schema ${client} exports equal`, async () => {
      const original = await schemasModule(client, []);
      const trimmed = await schemasModule(client, [awsSdkTrims]);
      expect(Object.keys(trimmed).sort()).toEqual(Object.keys(original).sort());
      expect(Object.keys(original).length).toBeGreaterThan(20);
      for (const name of Object.keys(original)) expect(plain(trimmed[name]), name).toEqual(plain(original[name]));
    });
  }

  it("keep the S3 operations the control plane sends and drop the others", async () => {
    const outfile = path.join(dir, "worker.js");
    await build({ ...workerBuildOptions(outfile), logLevel: "silent" });
    const bundle = await readFile(outfile, "utf8");
    for (const used of ["PutObjectRequest", "GetObjectOutput"]) expect(bundle).toContain(`"${used}"`);
    for (const unused of ["PutBucketAnalyticsConfigurationRequest", "ListObjectsV2Output", "SelectObjectContentRequest"]) {
      expect(bundle).not.toContain(`"${unused}"`);
    }
  });

  it("stand in for event streams with a marshaller that fails any use, saying why", () => {
    const config = resolveEventStreamSerdeConfig({ eventStreamSerdeProvider });
    const leftOut = /event streams are left out of the Rewind Worker bundle/;
    expect(() => config.eventStreamMarshaller.serialize({}, {})).toThrow(leftOut);
    expect(() => config.eventStreamMarshaller.deserialize({}, {})).toThrow(leftOut);
    expect(() => new EventStreamSerde()).toThrow(leftOut);
  });

  it("stand in for checksums with code that refuses anything needing one and otherwise does what the SDK's does under WHEN_REQUIRED", async () => {
    const leftOut = /checksums are left out of the Rewind Worker bundle/;
    expect(() => resolveFlexibleChecksumsConfig({})).toThrow(leftOut);
    expect(() => resolveFlexibleChecksumsConfig({ requestChecksumCalculation: "WHEN_REQUIRED", responseChecksumValidation: "WHEN_SUPPORTED" })).toThrow(
      leftOut,
    );
    const config = resolveFlexibleChecksumsConfig({ requestChecksumCalculation: "WHEN_REQUIRED", responseChecksumValidation: "WHEN_REQUIRED" });
    expect(await config.requestChecksumCalculation()).toBe("WHEN_REQUIRED");
    expect(() => new Sha1()).toThrow(leftOut);
    // PutObject's and GetObject's traits (@aws-sdk/client-s3 commandBuilder.js), and DeleteObjects' (a checksum required).
    const put = { requestChecksumRequired: false, requestAlgorithmMember: { name: "ChecksumAlgorithm" } };
    const get = { requestChecksumRequired: false, requestValidationModeMember: "ChecksumMode" };
    const run = async (traits: Parameters<typeof getFlexibleChecksumsPlugin>[1], input: Record<string, unknown>) => {
      let middleware:
        | ((next: (args: unknown) => Promise<unknown>, context: object) => (args: { input: Record<string, unknown> }) => Promise<unknown>)
        | undefined;
      getFlexibleChecksumsPlugin(config, traits).applyToStack({
        addRelativeTo: (added) => {
          middleware = added;
        },
      });
      const context: { __aws_sdk_context?: { features?: Record<string, string> } } = {};
      const passed = await middleware?.(async (args) => args, context)({ input });
      return { passed, features: context.__aws_sdk_context?.features };
    };
    expect(await run(put, { Body: "x" })).toEqual({
      passed: { input: { Body: "x" } },
      features: { FLEXIBLE_CHECKSUMS_REQ_WHEN_REQUIRED: "a", FLEXIBLE_CHECKSUMS_RES_WHEN_REQUIRED: "c" },
    });
    expect((await run(get, { Key: "k" })).passed).toEqual({ input: { Key: "k" } });
    await expect(run(put, { ChecksumAlgorithm: "CRC32" })).rejects.toThrow(leftOut);
    await expect(run(get, { ChecksumMode: "ENABLED" })).rejects.toThrow(leftOut);
    await expect(run({ ...put, requestChecksumRequired: true }, {})).rejects.toThrow(leftOut);
  });

  it("stand in for noble's SHA-256 with node:crypto's: the same digests and hex, bytes only", () => {
    const large = new Uint8Array(1_000_003).map((_, i) => (i * 31 + 7) % 256);
    for (const bytes of [new Uint8Array(0), new Uint8Array([0]), nobleUtf8ToBytes("entry ✓"), large, large.subarray(5, 70)]) {
      expect(sha256(bytes)).toEqual(nobleSha256(bytes));
      expect(bytesToHex(sha256(bytes))).toBe(nobleBytesToHex(nobleSha256(bytes)));
    }
    expect(utf8ToBytes("päge ✓")).toEqual(nobleUtf8ToBytes("päge ✓"));
    for (const notBytes of ["abc", [1, 2], undefined] as unknown[]) {
      expect(() => sha256(notBytes as Uint8Array)).toThrow(TypeError);
      expect(() => nobleSha256(notBytes as Uint8Array)).toThrow();
    }
  });

  it("stand in for hono's entry with a Hono routing through TrieRouter alone, answering as the default one", async () => {
    type App = InstanceType<typeof DefaultHono>;
    const routes = (app: App): App => {
      const hosts = new (app.constructor as typeof DefaultHono)();
      hosts.get("/", (c) => c.text("list"));
      hosts.get("/:host/backups", (c) => c.text(`backups ${c.req.param("host")}`));
      hosts.get("/:host/backups/:id", (c) => c.text(`backup ${c.req.param("host")} ${c.req.param("id")}`));
      hosts.put("/:host/settings", (c) => c.text(`settings ${c.req.param("host")}`));
      hosts.post("/hosts/:host/reset", (c) => c.text("reset"));
      app.use("/v1/*", async (c, next) => {
        await next();
        c.header("x-seen", "1");
      });
      app.get("/health", (c) => c.text("ok"));
      app.get("/.well-known/jwks.json", (c) => c.json({ keys: [] }));
      app.route("/v1/hosts", hosts);
      app.delete("/v1/tokens/:id", (c) => c.text(`deleted ${c.req.param("id")}`));
      app.notFound((c) => c.text("none", 404));
      return app;
    };
    const defaultApp = routes(new DefaultHono());
    const trieApp = routes(new TrieHono() as unknown as App);
    const requests = ["GET /health", "GET /health/", "GET /.well-known/jwks.json", "GET /v1/hosts", "GET /v1/hosts/", "GET /v1/hosts/web-1/backups"];
    requests.push("GET /v1/hosts/web-1/backups/b%20x", "PUT /v1/hosts/web-1/settings", "GET /v1/hosts/web-1/settings", "POST /v1/hosts/hosts/web-1/reset");
    requests.push(
      "DELETE /v1/tokens/t1",
      "DELETE /v1/tokens/",
      "GET /v1/nothing",
      "GET /nothing",
      "HEAD /health",
      "GET //health",
      "GET /v1/hosts/a/backups/b/c",
    );
    for (const request of requests) {
      const [method, url] = request.split(" ") as [string, string];
      const answers = await Promise.all([defaultApp, trieApp].map((app) => app.request(url, { method })));
      const [expected, actual] = await Promise.all(answers.map(async (r) => ({ status: r.status, seen: r.headers.get("x-seen"), body: await r.text() })));
      expect(actual, request).toEqual(expected);
    }
  });

  it("stand in for the SDK's multi-region signer with its SigV4 signer: the same signature for a region, a clear refusal for *", async () => {
    const options = { credentials: { accessKeyId: "AKID", secretAccessKey: "SECRET" }, region: "auto", service: "s3", sha256: Sha256, uriEscapePath: false };
    const request = () =>
      new HttpRequest({
        method: "PUT",
        protocol: "https:",
        hostname: "acc.r2.cloudflarestorage.com",
        path: "/rewind/manifests/h/b.json",
        headers: { host: "acc.r2.cloudflarestorage.com", "content-type": "application/json" },
        body: '{"a":1}',
      });
    const signing = { signingDate: new Date("2026-12-03T12:00:00Z"), signingRegion: "auto", signingService: "s3" };
    const ours = await new SignatureV4MultiRegion(options).sign(request(), signing);
    const real = await new RealSignatureV4MultiRegion(options).sign(request(), signing);
    expect(ours.headers).toEqual(real.headers);
    expect(ours.headers.authorization).toMatch(/Signature=[0-9a-f]{64}$/);
    expect(SignatureV4MultiRegion.sigv4aDependency()).toBe(RealSignatureV4MultiRegion.sigv4aDependency());
    const leftOut = /left out of the Rewind Worker bundle/;
    await expect(new SignatureV4MultiRegion(options).sign(request(), { ...signing, signingRegion: "*" })).rejects.toThrow(leftOut);
    await expect(new SignatureV4MultiRegion(options).signWithCredentials()).rejects.toThrow(leftOut);
    expect(() => new SignatureV4SignWithCredentials()).toThrow(leftOut);
  });

  it("stand in for adaptive retries, S3 Express sessions, MD5 and XML request bodies with code that fails any use, saying why", async () => {
    const leftOut = /left out of the Rewind Worker bundle/;
    expect(() => new AdaptiveRetryStrategy()).toThrow(leftOut);
    await expect(new S3ExpressIdentityProviderImpl().getS3ExpressIdentity()).rejects.toThrow(leftOut);
    expect(() => new CreateSessionCommand()).toThrow(leftOut);
    expect(() => new Md5()).toThrow(leftOut);
    const xml = new XmlShapeSerializer();
    xml.setSerdeContext();
    expect(() => xml.write()).toThrow(leftOut);
    expect(() => xml.flush()).toThrow(leftOut);
  });

  it("stand in for drizzle's Postgres checks with ones that answer as the real ones do", () => {
    const mood = pgEnum("mood", ["ok", "sad"]);
    const pgKeys = pgTable("pg_pairs", { a: pgInteger("a"), b: pgInteger("b") }, (t) => [primaryKey({ columns: [t.a, t.b] })]);
    const sqliteKeys = sqliteTable("pairs", { a: integer("a"), b: integer("b") }, (t) => [sqlitePrimaryKey({ columns: [t.a, t.b] })]);
    for (const value of [mood, () => undefined, "mood", null, undefined, {}]) expect(isPgEnum(value)).toBe(realIsPgEnum(value));
    expect(isPgEnum(mood)).toBe(true);
    const builders: unknown[] = [primaryKey({ columns: [pgKeys.a, pgKeys.b] }), sqlitePrimaryKey({ columns: [sqliteKeys.a, sqliteKeys.b] }), pgKeys, {}, null];
    for (const value of builders) expect(is(value, PrimaryKeyBuilder)).toBe(is(value, RealPrimaryKeyBuilder));
    expect(is(builders[0], PrimaryKeyBuilder)).toBe(true);
    expect(() => new PrimaryKeyBuilder()).toThrow(/left out of the Rewind Worker bundle/);
  });
});

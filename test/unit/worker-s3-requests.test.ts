// What the Worker bundle's AWS SDK trims (scripts/worker-bundle-trims.ts: the SDK's browser builds,
// the Worker's endpoint rules, no checksum code) may not change: the requests S3 receives. The
// control plane's S3 client puts and gets an object from a recording server twice, bundled as the
// Worker is and bundled with the untouched SDK for Node; both send the same requests.
import { once } from "node:events";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer, type IncomingMessage, type Server } from "node:http";
import { tmpdir } from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { build } from "esbuild";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { workerBuildOptions } from "../../scripts/build-worker.ts";
import { awsSdkTrims } from "../../scripts/worker-bundle-trims.ts";

interface Recorded {
  method: string;
  url: string;
  headers: Record<string, string>;
  body: string;
  /** The SDK features the user agent reports ("m/..."). */
  features: string | undefined;
}

// Headers that differ from one request to the next, or name the runtime (Node's or the browser build's).
// Of the signature, what is signed and how is compared (it signs the invocation id and user agent too);
// s3rver checks the signatures themselves in the integration tests.
const varying = new Set(["x-amz-date", "amz-sdk-invocation-id", "amz-sdk-request", "user-agent", "x-amz-user-agent", "connection"]);
const root = path.resolve(import.meta.dirname, "../..");
// The control plane's S3 client (storage/s3.ts) puts an object and gets it back, as the Worker does. A
// bundle entry, not a module here: the root tsconfig does not type the control plane's Worker globals.
const entry = `
import { GetObjectCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { s3FromConfig } from "./control-plane/src/storage/s3.ts";
export async function putAndGet(endpoint) {
  const s3 = { endpoint, region: "auto", bucket: "rewind", accessKeyId: "AKID", secretAccessKey: "SECRET" };
  const client = s3FromConfig({ s3 });
  await client.send(new PutObjectCommand({ Bucket: s3.bucket, Key: "manifests/h/b.json", Body: '{"a":1}', ContentType: "application/json" }));
  const object = await client.send(new GetObjectCommand({ Bucket: s3.bucket, Key: "manifests/h/b.json" }));
  return object.Body?.transformToString();
}
`;
let dir: string;
let server: Server;
let endpoint: string;
let recorded: Recorded[] = [];

async function record(request: IncomingMessage): Promise<Recorded> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  const agent = `${request.headers["x-amz-user-agent"] ?? ""} ${request.headers["user-agent"] ?? ""}`;
  const headers = Object.fromEntries(
    Object.entries(request.headers)
      .filter(([name]) => !varying.has(name))
      .map(([name, value]) => [name, name === "authorization" ? String(value).replace(/Signature=[0-9a-f]{64}$/, "Signature=…") : String(value)]),
  );
  return { method: request.method ?? "", url: request.url ?? "", headers, body: Buffer.concat(chunks).toString(), features: /\bm\/(\S+)/.exec(agent)?.[1] };
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "rewind-s3-requests-"));
  server = createServer((request, response) => {
    void record(request).then((entry) => {
      recorded.push(entry);
      if (entry.method === "GET") response.writeHead(200, { "content-type": "application/json", etag: '"e"' }).end('{"a":1}');
      else response.writeHead(200, { etag: '"e"' }).end();
    });
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const address = server.address();
  if (typeof address !== "object" || address === null) throw new Error("no port");
  endpoint = `http://127.0.0.1:${address.port}`;
});

afterAll(async () => {
  server?.close();
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
});

async function requestsOf(name: string, trimmed: boolean): Promise<Recorded[]> {
  const outfile = path.join(dir, `${name}.mjs`);
  const stdin = { contents: entry, resolveDir: root, loader: "ts" as const, sourcefile: "put-and-get.ts" };
  const options = trimmed
    ? { ...workerBuildOptions(outfile), entryPoints: undefined, plugins: [awsSdkTrims], minify: false }
    : { bundle: true, format: "esm" as const, platform: "node" as const, outfile };
  await build({ ...options, stdin, logLevel: "silent" });
  const { putAndGet } = (await import(pathToFileURL(outfile).href)) as { putAndGet(endpoint: string): Promise<string | undefined> };
  recorded = [];
  expect(await putAndGet(endpoint)).toBe('{"a":1}');
  return recorded;
}

describe("the Worker's S3 requests", () => {
  it("are those the untouched SDK sends: same method, path, headers, signed headers, body and SDK features", async () => {
    const sdk = await requestsOf("sdk", false);
    const worker = await requestsOf("worker", true);
    expect(sdk.map((request) => request.method)).toEqual(["PUT", "GET"]);
    expect(worker).toEqual(sdk);
    // Signed with the body's SHA-256 (S3 checks it), no CRC32 of the SDK's own (s3.ts: WHEN_REQUIRED).
    expect(sdk[0]?.headers["x-amz-content-sha256"]).toMatch(/^[0-9a-f]{64}$/);
    expect(Object.keys(sdk[0]?.headers ?? {}).filter((name) => name.startsWith("x-amz-checksum") || name === "x-amz-sdk-checksum-algorithm")).toEqual([]);
    expect(sdk[1]?.headers["x-amz-checksum-mode"]).toBeUndefined();
    expect(sdk[0]?.features).toBeDefined();
    expect(sdk[0]?.headers.authorization).toMatch(
      /^AWS4-HMAC-SHA256 Credential=AKID\/\d{8}\/auto\/s3\/aws4_request, SignedHeaders=.*x-amz-content-sha256.*, Signature=…$/,
    );
  });
});

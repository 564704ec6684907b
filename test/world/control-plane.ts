// The control plane in the test world: the real Worker bundle in workerd (Miniflare) on a free
// loopback port, with D1, Durable Object and R2 state in a temp dir that survives `restart()`
// (same port, so connected agents reconnect to the same URL). Fresh signing keys per world.
import { createHash } from "node:crypto";
import { mkdir, mkdtemp, readdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import type { Readable } from "node:stream";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { Miniflare } from "miniflare";
import { workerBuildOptions } from "../../scripts/build-worker.ts";
import { sharedConsoleAssets } from "../../scripts/worker-console.ts";
import { generateSigningKey, type PrivateJwk, randomId } from "../../shared/signing.ts";
import type { S3World } from "./s3.ts";

export interface ControlPlaneWorld {
  url: string;
  adminToken: string;
  signingKeys: PrivateJwk[];
  /** The bucket created in the given S3 world for manifests and checkpoints, when one was given. */
  s3Bucket?: string;
  /** Bearer-authenticated (admin) fetch against the control plane; `path` starts with '/'. */
  api(path: string, init?: RequestInit): Promise<Response>;
  /** The D1 database itself, for tests that must age or inspect rows as time would. */
  d1(): ReturnType<Miniflare["getD1Database"]>;
  /** A host's HostChannel Durable Object, reached as the Worker reaches it (for races the Worker cannot be slowed into). */
  hostChannel(host: string): Promise<{ fetch(url: string, init: RequestInit): Promise<Response> }>;
  /** Runs the Worker's cron (scheduled) handler once, as the cron trigger in wrangler.toml does; resolves when it finished. */
  scheduled(): Promise<void>;
  /** Lines the Worker and its Durable Objects logged, for diagnosing a failed test. */
  logs(): string[];
  /**
   * Restarts on the same state; `env` replaces Worker vars/secrets from then on (e.g. rotated SIGNING_KEYS).
   * `whileStopped` gets the Durable Objects' SQLite folder while no workerd has it open.
   */
  restart(env?: Record<string, string>, whileStopped?: (durableObjectsDir: string) => Promise<void>): Promise<void>;
  stop(): Promise<void>;
}

export interface ControlPlaneOptions {
  s3?: S3World;
  sns?: { endpoint: string; topicArn: string };
  adminToken?: string;
  /** Extra or replaced Worker vars/secrets (e.g. a deliberately broken one). */
  env?: Record<string, string>;
}

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const compatibilityDate = "2026-04-20";

let bundle: Promise<{ scriptPath: string; assetsDir: string }> | undefined;

/** Where test processes keep Worker bundles: one file per build output, shared by concurrent runs. */
export const workerBundlesDir = path.join(tmpdir(), "rewind-worker-bundles");

/**
 * Bundles the Worker once per test process, as `npm run build:worker` does. The file is named by its
 * content, so every process and run of the same code shares one (no directory left per process: vitest
 * ends its workers without an exit event); global setup sweeps versions unused for hours.
 */
function workerBundle(): Promise<{ scriptPath: string; assetsDir: string }> {
  bundle ??= (async () => {
    const built = await build({ ...workerBuildOptions(path.join(workerBundlesDir, "worker.js")), write: false, logLevel: "silent" });
    const code = built.outputFiles[0]?.contents;
    if (code === undefined) throw new Error("esbuild produced no Worker bundle");
    const outfile = path.join(workerBundlesDir, `worker-${createHash("sha256").update(code).digest("hex").slice(0, 16)}.js`);
    await mkdir(workerBundlesDir, { recursive: true });
    // Written aside then renamed: a concurrent process never reads a half-written bundle.
    const partial = `${outfile}.${process.pid}.partial`;
    await writeFile(partial, code);
    await rename(partial, outfile);
    // Its static assets (the console page), as wrangler.toml's [assets] serves them.
    const assetsDir = await sharedConsoleAssets(workerBundlesDir, path.basename(outfile, ".js"));
    return { scriptPath: outfile, assetsDir };
  })();
  return bundle;
}

/** Applies control-plane/migrations/*.sql not yet recorded in wrangler's own `d1_migrations` table. */
async function applyMigrations(mf: Miniflare): Promise<void> {
  const db = await mf.getD1Database("DB");
  await db
    .prepare(
      "CREATE TABLE IF NOT EXISTS d1_migrations (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT UNIQUE, applied_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP NOT NULL)",
    )
    .run();
  const applied = new Set((await db.prepare("SELECT name FROM d1_migrations").all<{ name: string }>()).results.map((r) => r.name));
  const dir = path.join(root, "control-plane/migrations");
  const files = (await readdir(dir)).filter((name) => name.endsWith(".sql")).sort();
  for (const name of files) {
    if (applied.has(name)) continue;
    const sql = await readFile(path.join(dir, name), "utf8");
    const statements = sql
      .split("--> statement-breakpoint")
      .map((statement) => statement.trim())
      .filter((statement) => statement.length > 0);
    await db.batch([...statements.map((statement) => db.prepare(statement)), db.prepare("INSERT INTO d1_migrations (name) VALUES (?)").bind(name)]);
  }
}

function freePortError(error: unknown): boolean {
  return error instanceof Error && /EADDRINUSE|address already in use/i.test(`${error.message} ${String(error.cause ?? "")}`);
}

export async function startControlPlane(opts: ControlPlaneOptions = {}): Promise<ControlPlaneWorld> {
  const { scriptPath, assetsDir } = await workerBundle();
  const stateDir = await mkdtemp(path.join(tmpdir(), "rewind-cp-"));
  const keys = [await generateSigningKey(`cp-${randomId().slice(0, 8)}`)];
  const signingKeys = keys.map((key) => key.privateJwk);
  const adminToken = opts.adminToken ?? `admin_${randomId()}${randomId()}`;
  const s3Bucket =
    opts.s3 === undefined
      ? undefined
      : `rewind-${randomId()
          .slice(0, 10)
          .toLowerCase()
          .replace(/[^a-z0-9]/g, "x")}`;
  if (opts.s3 !== undefined && s3Bucket !== undefined) await opts.s3.createBucket(s3Bucket);
  let bindings: Record<string, string> = {
    SIGNING_KEYS: JSON.stringify(signingKeys),
    ADMIN_TOKEN: adminToken,
    AUDIT_ORIGIN: "rewind.test/audit",
    ...(opts.s3 === undefined || s3Bucket === undefined
      ? {}
      : {
          S3_ENDPOINT: opts.s3.endpoint,
          S3_REGION: opts.s3.region,
          S3_BUCKET: s3Bucket,
          S3_ACCESS_KEY_ID: opts.s3.accessKeyId,
          S3_SECRET_ACCESS_KEY: opts.s3.secretAccessKey,
        }),
    ...(opts.sns === undefined ? {} : { SNS_ENDPOINT: opts.sns.endpoint, SNS_TOPIC_ARN: opts.sns.topicArn }),
    ...opts.env,
  };
  const logLines: string[] = [];
  const collect = (stream: Readable) => {
    stream.setEncoding("utf8");
    stream.on("data", (chunk: string) => {
      for (const line of chunk.split("\n")) if (line.trim() !== "") logLines.push(line);
    });
  };

  const launch = async (port: number): Promise<{ mf: Miniflare; url: URL }> => {
    const mf = new Miniflare({
      host: "127.0.0.1",
      port,
      modules: true,
      scriptPath,
      // Module paths must stay inside modulesRoot; the bundle lives in its own temp dir.
      modulesRoot: path.dirname(scriptPath),
      compatibilityDate,
      compatibilityFlags: ["nodejs_compat"],
      bindings,
      d1Databases: { DB: "rewind" },
      durableObjects: {
        HOST: { className: "HostChannel", useSQLite: true },
        AUDIT: { className: "AuditLog", useSQLite: true },
      },
      r2Buckets: ["ARCHIVE"],
      // wrangler.toml's [assets] with run_worker_first = true.
      assets: { directory: assetsDir, binding: "ASSETS", routerConfig: { has_user_worker: true, invoke_user_worker_ahead_of_assets: true } },
      d1Persist: path.join(stateDir, "d1"),
      durableObjectsPersist: path.join(stateDir, "do"),
      r2Persist: path.join(stateDir, "r2"),
      cf: false,
      handleRuntimeStdio(stdout: Readable, stderr: Readable) {
        collect(stdout);
        collect(stderr);
      },
    });
    try {
      const url = await mf.ready;
      await applyMigrations(mf);
      return { mf, url };
    } catch (error) {
      await mf.dispose();
      throw error;
    }
  };

  let current = await launch(0);
  const port = Number(current.url.port);
  const url = `http://127.0.0.1:${port}`;

  return {
    url,
    adminToken,
    signingKeys,
    ...(s3Bucket === undefined ? {} : { s3Bucket }),
    api(apiPath, init = {}) {
      const headers = new Headers(init.headers);
      if (!headers.has("authorization")) headers.set("authorization", `Bearer ${adminToken}`);
      if (init.body !== undefined && !headers.has("content-type")) headers.set("content-type", "application/json");
      return fetch(`${url}${apiPath}`, { ...init, headers });
    },
    d1: () => current.mf.getD1Database("DB"),
    async hostChannel(host) {
      const namespace = await current.mf.getDurableObjectNamespace("HOST");
      const stub = namespace.get(namespace.idFromName(host));
      return { fetch: (target, init) => stub.fetch(target, init as never) as unknown as Promise<Response> };
    },
    async scheduled() {
      const result = await (await current.mf.getWorker()).scheduled({ cron: "*/5 * * * *", scheduledTime: new Date() });
      if (result.outcome !== "ok") throw new Error(`the Worker's scheduled handler ended ${result.outcome}`);
    },
    logs: () => [...logLines],
    async restart(env, whileStopped) {
      if (env !== undefined) bindings = { ...bindings, ...env };
      await current.mf.dispose();
      await whileStopped?.(path.join(stateDir, "do"));
      // The old workerd may hold the port for a moment after dispose: retry the same port briefly.
      for (let attempt = 0; ; attempt++) {
        try {
          current = await launch(port);
          return;
        } catch (error) {
          if (attempt >= 20 || !freePortError(error)) throw error;
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
      }
    },
    async stop() {
      await current.mf.dispose();
      await rm(stateDir, { recursive: true, force: true });
    },
  };
}

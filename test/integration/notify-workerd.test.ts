// The notification publisher inside workerd (nodejs_compat, wrangler.toml's compatibility date),
// publishing with the real @aws-sdk/client-sns to the SNS world. How the Worker is bundled
// decides whether the SDK works there: the bundle that works, one with the "browser" condition,
// and wrangler's default bundle are exercised.
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { build } from "esbuild";
import { Miniflare } from "miniflare";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { workerBuildOptions } from "../../scripts/build-worker.ts";
import { type SnsWorld, startSns } from "../world/sns.ts";

const entry = new URL("../fixtures/notify/publish-worker.ts", import.meta.url).pathname;
const wrangler = new URL("../../node_modules/.bin/wrangler", import.meta.url).pathname;

let sns: SnsWorld;
let workdir: string;

beforeAll(async () => {
  sns = await startSns();
  workdir = await mkdtemp(join(tmpdir(), "rewind-notify-workerd-"));
});

afterAll(async () => {
  await sns?.stop();
  if (workdir !== undefined) await rm(workdir, { recursive: true, force: true });
});

/** A loopback port nothing listens on: bound by the OS, then released. */
function closedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => (typeof address === "object" && address !== null ? resolve(address.port) : reject(new TypeError("no port"))));
    });
  });
}

async function compatibilityDate(): Promise<string> {
  const toml = await readFile(new URL("../../wrangler.toml", import.meta.url), "utf8");
  const date = toml.match(/^compatibility_date\s*=\s*"([0-9-]+)"/m)?.[1];
  if (date === undefined) throw new Error("wrangler.toml has no compatibility_date");
  return date;
}

async function startWorker(scriptPath: string, modulesRoot: string): Promise<Miniflare> {
  return new Miniflare({
    modules: true,
    scriptPath,
    modulesRoot,
    compatibilityDate: await compatibilityDate(),
    compatibilityFlags: ["nodejs_compat"],
    cf: false,
    bindings: {
      SNS_TOPIC_ARN: sns.topicArn,
      SNS_REGION: sns.region,
      SNS_ENDPOINT: sns.endpoint,
      SNS_ACCESS_KEY_ID: sns.credentials.accessKeyId,
      SNS_SECRET_ACCESS_KEY: sns.credentials.secretAccessKey,
    },
  });
}

describe("SNS publishing from workerd", () => {
  it("works when bundled as the Worker is deployed (no 'browser' condition, node:* left to nodejs_compat)", async () => {
    // The 'browser' export condition would pick @aws-sdk/core's browser index, whose Node-only
    // helpers are placeholders the Node runtime config then calls ("emitWarningIfUnsupportedVersion
    // is not a function"); the browser runtime config needs DOMParser, which workerd lacks.
    const outdir = join(workdir, "esbuild");
    // The deployed Worker's own options (minified, the SDK's credential chain stubbed out).
    await build({ ...workerBuildOptions(join(outdir, "worker.js")), entryPoints: [entry], logLevel: "silent" });
    const worker = await startWorker(join(outdir, "worker.js"), outdir);
    try {
      const response = await worker.dispatchFetch("http://worker.test/?host=app-9");
      expect(response.status, await response.clone().text()).toBe(200);
      expect(await response.json()).toMatchObject({ status: "published", attempts: 1 });

      const unreachable = `http://127.0.0.1:${await closedPort()}`;
      const failed = await worker.dispatchFetch(`http://worker.test/?host=app-8&endpoint=${encodeURIComponent(unreachable)}`);
      expect(failed.status).toBe(200);
      expect(await failed.json()).toMatchObject({ status: "failed", attempts: 4, code: "NETWORK_ERROR" });
    } finally {
      await worker.dispose();
    }

    const [envelope] = await sns.receive({ count: 1 });
    expect(envelope?.subject).toBe("[Rewind] app-9: rollback SUCCEEDED");
    expect(envelope?.messageAttributes).toEqual({ event: "rollback.succeeded", host: "app-9", severity: "info" });
    expect(JSON.parse(envelope?.message ?? "{}")).toMatchObject({
      sms: "Rewind app-9: rollback SUCCEEDED: in 2m 14s https://rewind.example.com/#/rollbacks/rb_workerd_0001",
    });
  });

  it("with the 'browser' export condition the SDK cannot even start, and one notification fails softly", async () => {
    const outdir = join(workdir, "browser-condition");
    await build({
      entryPoints: [entry],
      bundle: true,
      format: "esm",
      platform: "neutral",
      mainFields: ["module", "main"],
      conditions: ["workerd", "worker", "browser"],
      external: ["cloudflare:*", "node:*"],
      outfile: join(outdir, "worker.js"),
      logLevel: "silent",
    });
    const worker = await startWorker(join(outdir, "worker.js"), outdir);
    try {
      const response = await worker.dispatchFetch("http://worker.test/?host=app-6");
      expect(response.status).toBe(200);
      expect(await response.json()).toMatchObject({
        status: "failed",
        attempts: 0,
        code: "SNS_CLIENT_UNAVAILABLE",
        message: expect.stringContaining("emitWarningIfUnsupportedVersion"),
      });
    } finally {
      await worker.dispose();
    }
    expect(await sns.receiveAll()).toEqual([]);
  });

  it("under wrangler's default bundle, reports the unreadable answer once instead of re-sending the SMS", async () => {
    const outdir = join(workdir, "wrangler");
    const config = join(workdir, "wrangler.toml");
    await writeFile(
      config,
      [
        'name = "rewind-notify-probe"',
        `main = ${JSON.stringify(entry)}`,
        `compatibility_date = "${await compatibilityDate()}"`,
        'compatibility_flags = ["nodejs_compat"]',
        "send_metrics = false",
      ].join("\n"),
    );
    const { WRANGLER_BUILD_CONDITIONS: _conditions, WRANGLER_BUILD_PLATFORM: _platform, ...inherited } = process.env;
    await promisify(execFile)(wrangler, ["deploy", "--dry-run", "--outdir", outdir, "--config", config], {
      env: { ...inherited, WRANGLER_SEND_METRICS: "false", CLOUDFLARE_CF_FETCH_ENABLED: "false", WRANGLER_HIDE_BANNER: "true" },
    });
    const worker = await startWorker(join(outdir, "publish-worker.js"), outdir);
    try {
      const response = await worker.dispatchFetch("http://worker.test/?host=app-7");
      expect(await response.json()).toMatchObject({ status: "failed", attempts: 1, code: "RESPONSE_UNREADABLE" });
    } finally {
      await worker.dispose();
    }
    // SNS did take the message: exactly one copy arrives.
    const received = await sns.receiveAll();
    expect(received.map((envelope) => envelope.messageAttributes.host)).toEqual(["app-7"]);
  });
});

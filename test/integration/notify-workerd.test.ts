// The notification publisher inside workerd (nodejs_compat, wrangler.toml's compatibility date),
// bundled the way the Worker is, publishing with the real @aws-sdk/client-sns to the SNS world.
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { build } from "esbuild";
import { Miniflare } from "miniflare";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type SnsWorld, startSns } from "../world/sns.ts";

let sns: SnsWorld;
let outdir: string;

beforeAll(async () => {
  sns = await startSns();
  outdir = await mkdtemp(join(tmpdir(), "rewind-notify-workerd-"));
});

afterAll(async () => {
  await sns?.stop();
  if (outdir !== undefined) await rm(outdir, { recursive: true, force: true });
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

describe("SNS publishing from workerd", () => {
  it("bundles @aws-sdk/client-sns with node:* left to nodejs_compat, publishes, and fails softly when unreachable", async () => {
    // The SDK's Node runtime config imports node:* modules; workerd's nodejs_compat provides them
    // (its browser build fails there: emitWarningIfUnsupportedVersion is not a function).
    await build({
      entryPoints: [new URL("../fixtures/notify/publish-worker.ts", import.meta.url).pathname],
      bundle: true,
      format: "esm",
      platform: "neutral",
      mainFields: ["module", "main"],
      external: ["cloudflare:*", "node:*"],
      outfile: join(outdir, "worker.js"),
      logLevel: "silent",
    });
    const worker = new Miniflare({
      modules: true,
      scriptPath: join(outdir, "worker.js"),
      modulesRoot: outdir,
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
    try {
      const response = await worker.dispatchFetch("http://worker.test/?host=app-9");
      expect(response.status).toBe(200);
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
});

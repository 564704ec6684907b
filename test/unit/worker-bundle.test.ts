import { readFile } from "node:fs/promises";
import path from "node:path";
import { build } from "esbuild";
import { describe, expect, it } from "vitest";
import { workerBuildOptions } from "../../scripts/build-worker.ts";

const root = path.resolve(import.meta.dirname, "../..");

describe("the Worker bundle", () => {
  it("leaves out code a Worker never runs: the AWS SDK's Node http handler and config, credential chain, ~/.aws and AWS_* readers, node:crypto hashes, event streams, Lambda context; drizzle's Postgres classes; classic zod; the console page", async () => {
    const result = await build({ ...workerBuildOptions("worker.js"), write: false, metafile: true, logLevel: "silent" });
    const output = Object.values(result.metafile.outputs)[0];
    // Modules that put code into the bundle (esbuild parses more than it keeps).
    const kept = Object.entries(output?.inputs ?? {})
      .filter(([, input]) => input.bytesInOutput > 0)
      .map(([file]) => file.replace(/.*node_modules\//, ""));
    expect(kept).toContain("control-plane/src/index.ts");
    expect(kept.filter((file) => /^@.*(credential-provider-|node-http-handler|event-streams|lambda-invoke-store|drizzle-orm\/pg-core)/.test(file))).toEqual([]);
    expect(kept.filter((file) => /runtimeConfig(\.browser|\.native)?\.js$/.test(file))).toEqual([
      "@aws-sdk/client-s3/dist-es/runtimeConfig.browser.js",
      "@aws-sdk/client-sns/dist-es/runtimeConfig.browser.js",
    ]);
    // The SDK's own browser builds of its submodules: no ~/.aws file readers, AWS_* variable readers,
    // node:crypto or node:os helpers; hashing through WebCrypto.
    expect(kept.filter((file) => /(shared-ini-file-loader|node-config-provider|util-user-agent-node|(Sha256|Sha1|Md5|Crc32c?)Node\.js$)/.test(file))).toEqual(
      [],
    );
    expect(kept).toContain("@smithy/core/dist-es/submodules/checksum/sha256/Sha256WebCrypto.js");
    expect(kept).toContain("@aws-sdk/middleware-sdk-s3/dist-es/submodules/s3/to-stream/toStream.browser.js");
    // The Worker's own endpoint rules, not the clients' rulesets and the rules engine.
    expect(kept.filter((file) => /(endpoint\/(bdd|ruleset)|util-endpoints\/(bdd|decideEndpoint))\.js$/.test(file))).toEqual([]);
    expect(kept).toContain("control-plane/src/storage/s3-endpoint-rules.ts");
    expect(kept).toContain("control-plane/src/storage/sns-endpoint-rules.ts");
    expect(kept).toContain("control-plane/src/storage/no-event-streams.ts");
    // No checksum code: the S3 client computes none (storage/s3.ts), the stand-in refuses any.
    expect(kept.filter((file) => file.startsWith("@aws-sdk/checksums/"))).toEqual([]);
    expect(kept).toContain("control-plane/src/storage/no-flexible-checksums.ts");
    // SHA-256 from node:crypto (nodejs_compat), not noble's JavaScript.
    expect(kept.filter((file) => file.startsWith("@noble/"))).toEqual([]);
    // Stand-ins for adaptive retries, S3 Express sessions, SigV4a, MD5 and XML request bodies (control-plane/src/storage/no-*.ts).
    expect(
      kept.filter((file) => /(DefaultRateLimiter|S3ExpressIdentityProviderImpl|SignatureV4MultiRegion|Md5Js|XmlShapeSerializer|XmlNode)\.js$/.test(file)),
    ).toEqual([]);
    // Hono routes with TrieRouter alone, not SmartRouter over RegExpRouter and TrieRouter.
    expect(kept.filter((file) => /^hono\/dist\/router\/(reg-exp|smart)-router\//.test(file))).toEqual([]);
    expect(kept).toContain("control-plane/src/db/no-pg-core.ts");
    // The console page is a static asset (scripts/worker-console.ts), not part of the script.
    expect(kept.filter((file) => file.startsWith("control-plane/src/console/assets"))).toEqual([]);
    // Schemas are zod/mini with zod's English messages: classic zod (~80 KB of the Worker) is not in.
    expect(kept.filter((file) => file.startsWith("zod/v4/classic/"))).toEqual([]);
    expect(kept).toContain("zod/v4/locales/en.js");
  });

  it("is deployed as built, so tests and the bench measure what runs in production", async () => {
    const scripts = (JSON.parse(await readFile(path.join(root, "package.json"), "utf8")) as { scripts: Record<string, string> }).scripts;
    expect(scripts["build:worker"]).toBe("tsx scripts/build-worker.ts");
    expect(scripts.deploy).toBe("tsx scripts/build-worker.ts && wrangler deploy --no-bundle dist/worker.js");
  });
});

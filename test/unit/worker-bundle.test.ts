import { readFile } from "node:fs/promises";
import path from "node:path";
import { build } from "esbuild";
import { describe, expect, it } from "vitest";
import { workerBuildOptions } from "../../scripts/build-worker.ts";

const root = path.resolve(import.meta.dirname, "../..");

describe("the Worker bundle", () => {
  it("leaves out code a Worker never runs: the AWS SDK's Node http handler and config, credential chain, event streams, Lambda context; drizzle's Postgres classes; zod's JSON Schema converters", async () => {
    const result = await build({ ...workerBuildOptions("worker.js"), write: false, metafile: true, logLevel: "silent" });
    const output = Object.values(result.metafile.outputs)[0];
    const code = result.outputFiles[0]?.text ?? "";
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
    expect(kept).toContain("control-plane/src/storage/no-event-streams.ts");
    expect(kept).toContain("control-plane/src/db/no-pg-core.ts");
    // zod's JSON Schema converters are stand-ins: their 2020-12 dialect URL is gone, the stand-ins' message is in.
    expect(code).not.toContain("draft/2020-12");
    expect(code).toContain("zod's JSON Schema conversion is left out of the Rewind Worker bundle");
  });

  it("is deployed as built, so tests and the bench measure what runs in production", async () => {
    const scripts = (JSON.parse(await readFile(path.join(root, "package.json"), "utf8")) as { scripts: Record<string, string> }).scripts;
    expect(scripts["build:worker"]).toBe("tsx scripts/build-worker.ts");
    expect(scripts.deploy).toBe("tsx scripts/build-worker.ts && wrangler deploy --no-bundle dist/worker.js");
  });
});

import { readFile } from "node:fs/promises";
import path from "node:path";
import { build } from "esbuild";
import { describe, expect, it } from "vitest";
import { workerBuildOptions } from "../../scripts/build-worker.ts";

const root = path.resolve(import.meta.dirname, "../..");

describe("the Worker bundle", () => {
  it("leaves out the AWS SDK's ambient credential chain, which a Worker can never use", async () => {
    const result = await build({ ...workerBuildOptions("worker.js"), write: false, metafile: true, logLevel: "silent" });
    const inputs = Object.keys(result.metafile.inputs);
    expect(inputs.some((file) => file.includes("control-plane/src/index.ts"))).toBe(true);
    expect(inputs.filter((file) => /@aws-sdk\/credential-provider-/.test(file))).toEqual([]);
    expect(inputs).toContain("control-plane/src/storage/no-ambient-credentials.ts");
  });

  it("is deployed as built, so tests and the bench measure what runs in production", async () => {
    const scripts = (JSON.parse(await readFile(path.join(root, "package.json"), "utf8")) as { scripts: Record<string, string> }).scripts;
    expect(scripts["build:worker"]).toBe("tsx scripts/build-worker.ts");
    expect(scripts.deploy).toBe("tsx scripts/build-worker.ts && wrangler deploy --no-bundle dist/worker.js");
  });
});

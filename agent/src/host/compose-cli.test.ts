import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { isRewindError } from "../../../shared/errors.ts";
import { parseComposeVersion, requireComposeCli, runCompose } from "./compose-cli.ts";

describe("compose CLI", () => {
  const dirs: string[] = [];
  afterAll(async () => {
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  });

  it("reads the version of either flavour", () => {
    expect(parseComposeVersion("Docker Compose version v2.24.5\n")).toBe("2.24.5");
    expect(parseComposeVersion("docker-compose version 1.29.2, build unknown\ndocker-py version: 5.0.3\n")).toBe("1.29.2");
    expect(parseComposeVersion("docker: 'compose' is not a docker command.\n")).toBeUndefined();
  });

  it("runs compose from the project directory and reports its own error on failure", async () => {
    const cli = await requireComposeCli();
    const dir = await mkdtemp(path.join(tmpdir(), "rewind-compose-cli-"));
    dirs.push(dir);
    await writeFile(path.join(dir, "compose.yaml"), "services:\n  web:\n    image: busybox\n  worker:\n    image: busybox\n");
    const options = { projectDir: dir, projectName: "rewindclitest", timeoutMs: 60_000 };
    const { stdout } = await runCompose(cli, options, ["config", "--services"]);
    expect(stdout.trim().split("\n").sort()).toEqual(["web", "worker"]);
    await writeFile(path.join(dir, "compose.yaml"), "services:\n  web:\n    image: [not, an, image]\n");
    const error = await runCompose(cli, options, ["config", "--services"]).catch((e: unknown) => e);
    expect(isRewindError(error, "STEP_FAILED")).toBe(true);
    expect((error as Error).message).toContain(dir);
    // docker-compose 1.29 is a Python program: each call takes seconds on a busy machine.
  }, 60_000);
});

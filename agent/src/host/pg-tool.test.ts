// runPgTool against real child processes (sh scripts standing in for psql/pg_dump): deadline,
// cancel, exit codes and stream failures each give the error an operator can act on.
import { Readable, Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { describe, expect, it } from "vitest";
import { isRewindError } from "../../../shared/errors.ts";
import { runPgTool } from "./pg-tool.ts";

const sh = (script: string) => ({ bin: "/bin/sh", args: ["-c", script], what: "restoring test.sql.gz", timeoutSeconds: 30 });

async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error("expected a rejection");
}

describe("runPgTool", () => {
  it("stops a tool that hangs past its deadline: STEP_FAILED naming the setting", async () => {
    const started = Date.now();
    const error = await rejection(runPgTool({ ...sh("sleep 60"), timeoutSeconds: 1 }));
    expect(isRewindError(error, "STEP_FAILED")).toBe(true);
    expect(error.message).toContain("did not finish within 1 s");
    expect(error.message).toContain("project.database.timeouts.toolSeconds");
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it("a cancel stops the tool: CANCELLED", async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error("operator")), 200);
    const error = await rejection(runPgTool({ ...sh("sleep 60"), signal: controller.signal }));
    expect(isRewindError(error, "CANCELLED")).toBe(true);
  });

  it("a non-zero exit or a kill is STEP_FAILED with the stderr tail", async () => {
    const failed = await rejection(runPgTool(sh("echo 'ERROR:  relation \"x\" does not exist' >&2; exit 3")));
    expect(isRewindError(failed, "STEP_FAILED")).toBe(true);
    expect(failed.message).toContain("(sh exit 3)");
    expect(failed.message).toContain('relation "x" does not exist');
    const killed = await rejection(runPgTool(sh("kill -9 $$")));
    expect(killed.message).toContain("killed by SIGKILL");
  });

  it("a failure draining stdout is the reported cause, and a missing binary is CONFIG_INVALID", async () => {
    const full = new Writable({
      write(_chunk, _encoding, callback) {
        callback(Object.assign(new Error("no space left on device"), { code: "ENOSPC" }));
      },
    });
    const error = await rejection(runPgTool({ ...sh("yes | head -c 1000000"), stdout: (stdout) => pipeline(stdout, full) }));
    expect(error.message).toContain("no space left on device");
    const missing = await rejection(runPgTool({ ...sh(""), bin: "/nonexistent/psql" }));
    expect(isRewindError(missing, "CONFIG_INVALID")).toBe(true);
  });

  it("feeds stdin and succeeds on exit 0", async () => {
    await expect(runPgTool({ ...sh("cat >/dev/null"), stdin: (stdin) => pipeline(Readable.from(["a\n", "b\n"]), stdin) })).resolves.toBeUndefined();
  });
});

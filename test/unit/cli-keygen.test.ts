import { PassThrough, Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { main } from "../../agent/src/cli/main.ts";
import { privateJwk } from "../../shared/signing.ts";

function sink(): { stream: Writable; text(): string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      chunks.push(chunk.toString());
      done();
    },
  });
  return { stream, text: () => chunks.join("") };
}

async function cli(argv: string[]) {
  const out = sink();
  const err = sink();
  const code = await main(argv, { stdin: new PassThrough(), stdout: out.stream, stderr: err.stream, env: {} });
  return { code, stdout: out.text(), stderr: err.text() };
}

describe("rewind keygen", () => {
  it("prints a SIGNING_KEYS array with one private Ed25519 key under the given kid", async () => {
    const { code, stdout, stderr } = await cli(["keygen", "--kid", "cp-1"]);
    expect(code).toBe(0);
    const keys = JSON.parse(stdout) as unknown[];
    expect(keys).toHaveLength(1);
    expect(privateJwk.parse(keys[0]).kid).toBe("cp-1");
    expect(stderr).toMatch(/fingerprint/);
  });

  it("puts the new key first when rotating, keeping the old one published", async () => {
    const first = JSON.parse((await cli(["keygen", "--kid", "cp-1"])).stdout) as unknown[];
    const { code, stdout } = await cli(["keygen", "--kid", "cp-2", "--rotate", JSON.stringify(first)]);
    expect(code).toBe(0);
    const kids = (JSON.parse(stdout) as unknown[]).map((k) => privateJwk.parse(k).kid);
    expect(kids).toEqual(["cp-2", "cp-1"]);
  });

  it("refuses a missing kid with exit 2 and says what to pass", async () => {
    const { code, stderr } = await cli(["keygen"]);
    expect(code).toBe(2);
    expect(stderr).toContain("rewind: BAD_REQUEST: --kid NAME is required");
    expect(stderr).toContain("run 'rewind keygen --help' for its usage");
  });

  it("refuses an unknown command with exit 2", async () => {
    const { code, stderr } = await cli(["frobnicate"]);
    expect(code).toBe(2);
    expect(stderr).toContain("unknown command 'frobnicate'");
  });
});

// Issue 14.11: `rewind agent enroll` refuses plain http:// to another machine (the enrollment token and
// the control plane keys the host will trust would cross the network in clear), and the token, like
// keygen's current SIGNING_KEYS, can come from a file or stdin instead of argv (which `ps` and shell
// history show). The real CLI against the control plane in workerd.
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { type ControlPlaneWorld, startControlPlane } from "../world/control-plane.ts";
import { runRewindCli } from "../world/rewind-cli.ts";

let world: ControlPlaneWorld;
let dir: string;

beforeAll(async () => {
  world = await startControlPlane();
  dir = await mkdtemp(path.join(tmpdir(), "rewind-enroll-secrets-"));
});

afterAll(async () => {
  await world?.stop();
  await rm(dir, { recursive: true, force: true });
});

async function enrollmentToken(host: string): Promise<string> {
  const response = await world.api("/v1/enrollments", { method: "POST", body: JSON.stringify({ host }) });
  return ((await response.json()) as { token: string }).token;
}

it("refuses to enroll over plain http:// to another machine, before sending the token anywhere", async () => {
  const tokenFile = path.join(dir, "token-remote");
  await writeFile(tokenFile, `${await enrollmentToken("web-remote")}\n`, { mode: 0o600 });
  const started = Date.now();
  const result = await runRewindCli([
    "agent",
    "enroll",
    "--url",
    "http://203.0.113.10:8787",
    "--token-file",
    tokenFile,
    "--host",
    "web-remote",
    "--config",
    path.join(dir, "remote.json"),
  ]);
  expect(result.code).toBe(2);
  expect(result.stderr).toContain("refusing to enroll over http:// to 203.0.113.10");
  // Refused at once, not after a connection attempt to the unreachable address.
  expect(Date.now() - started).toBeLessThan(10_000);
  // The token was never used: it still enrolls the host for real.
  const config = path.join(dir, "web-remote.json");
  expect((await runRewindCli(["agent", "enroll", "--url", world.url, "--token-file", tokenFile, "--host", "web-remote", "--config", config])).code).toBe(0);
});

it("takes the enrollment token from a file or stdin, never needing it in argv", async () => {
  const viaStdin = path.join(dir, "web-stdin.json");
  const result = await runRewindCli(["agent", "enroll", "--url", world.url, "--token-file", "-", "--host", "web-stdin", "--config", viaStdin], {
    input: `${await enrollmentToken("web-stdin")}\n`,
  });
  expect(result.stderr).toBe("");
  expect(result.code).toBe(0);
  expect(JSON.parse(await readFile(viaStdin, "utf8"))).toMatchObject({ host: "web-stdin", controlPlane: { url: world.url } });

  const both = await runRewindCli(["agent", "enroll", "--url", world.url, "--token", "x", "--token-file", "-", "--host", "web-both"]);
  expect(both.code).toBe(2);
  expect(both.stderr).toContain("give --token or --token-file, not both");
});

it("keygen reads the current SIGNING_KEYS from stdin for a rotation", async () => {
  const first = await runRewindCli(["keygen", "--kid", "cp-1"]);
  const rotated = await runRewindCli(["keygen", "--kid", "cp-2", "--rotate-file", "-"], { input: first.stdout });
  expect(rotated.code).toBe(0);
  const keys = JSON.parse(rotated.stdout) as { kid: string }[];
  expect(keys.map((key) => key.kid)).toEqual(["cp-2", "cp-1"]);
});

// The `rewind` CLI as hosts and operators get it: the bundle `npm run build:agent` makes, copied to a
// directory without node_modules, run by node against the control plane in workerd. Covers --version
// and help, an agent from the bundle (config validation, enrollment, connecting), `rewind login`
// (token from stdin, stored 0600 and then used), `rewind rollbacks`, host ages, and the exit codes
// of `rewind status`.
import { execFile } from "node:child_process";
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { agentVersion } from "../../agent/src/version.ts";
import { buildAgent } from "../../scripts/build-agent.ts";
import { type AgentProcess, spawnAgent } from "../world/agent.ts";
import { type ControlPlaneWorld, startControlPlane } from "../world/control-plane.ts";
import { freePort } from "../world/ports.ts";
import { type CliResult, runRewindCli } from "../world/rewind-cli.ts";
import { apiJson, hostEntry, mintToken, waitUntil } from "./rollbacks-helpers.ts";

const repoRoot = path.resolve(import.meta.dirname, "../..");
const host = "cli-test-host";
let dir: string;
let home: string;
let bundle: string;
let world: ControlPlaneWorld;
let operator: { id: string; token: string };
let agent: AgentProcess | undefined;
let configFile: string;

/** The parent's environment without REWIND_* settings, and HOME in the test's directory. */
function cleanEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith("REWIND_")));
  return { ...env, HOME: home, ...extra };
}

function bundled(args: string[], options: { input?: string; env?: NodeJS.ProcessEnv } = {}): Promise<CliResult> {
  return runRewindCli(args, { entry: bundle, cwd: dir, env: cleanEnv(options.env), ...(options.input === undefined ? {} : { input: options.input }) });
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "rewind-cli-"));
  home = path.join(dir, "home");
  await mkdir(home);
  [bundle, world] = await Promise.all([buildAgent(path.join(dir, "rewind.mjs")), startControlPlane()]);
  operator = await mintToken(world, "operator", "olga");
  configFile = path.join(dir, "etc", "agent.json");
}, 120_000);

afterAll(async () => {
  await agent?.stop();
  await world?.stop();
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
});

describe("the bundled CLI", () => {
  it("runs on its own: --version and help", async () => {
    expect(await bundled(["--version"])).toEqual({ code: 0, stdout: `rewind ${agentVersion}\n`, stderr: "" });
    const overview = await bundled(["help"]);
    expect(overview.code).toBe(0);
    expect(overview.stdout).toContain("rewind rollbacks");
    const status = await bundled(["status", "--help"]);
    expect(status.code).toBe(0);
    expect(status.stdout).toContain("  3  not finished yet");
  });

  it("says so when no host is enrolled yet, rather than printing a bare header", async () => {
    const hosts = await bundled(["hosts", "--url", world.url], { env: { REWIND_TOKEN: operator.token } });
    expect(hosts).toMatchObject({ code: 0, stderr: "" });
    expect(hosts.stdout).toMatch(/^no hosts enrolled yet: run `rewind agent enroll` on a host/);
  });

  it("installs on a host with infra/install-agent.sh: the bundle, the rewind command and the systemd unit pointing at it", async () => {
    const root = path.join(dir, "install");
    const install = await new Promise<{ code: number | null; output: string }>((resolve) => {
      execFile(
        "bash",
        [path.join(repoRoot, "infra/install-agent.sh"), bundle],
        {
          env: { ...cleanEnv(), REWIND_PREFIX: `${root}/usr`, REWIND_UNIT_DIR: `${root}/systemd`, REWIND_CONFIG_DIR: `${root}/etc`, REWIND_SYSTEMCTL: "skip" },
        },
        (error, stdout, stderr) => resolve({ code: error === null ? 0 : (error.code as number), output: stdout + stderr }),
      );
    });
    expect(install.code, install.output).toBe(0);
    expect(install.output).toContain(`installed rewind ${agentVersion}`);
    const unit = await readFile(`${root}/systemd/rewind-agent.service`, "utf8");
    expect(unit).toMatch(new RegExp(`^ExecStart=/\\S*node ${root}/usr/lib/rewind/rewind\\.mjs agent run --config ${root}/etc/agent\\.json$`, "m"));
    expect((await stat(`${root}/etc`)).mode & 0o777).toBe(0o700);
    const installed = await runRewindCli(["--version"], { entry: `${root}/usr/bin/rewind`, cwd: dir, env: cleanEnv() });
    expect(installed).toEqual({ code: 0, stdout: `rewind ${agentVersion}\n`, stderr: "" });
  });

  it("runs an agent that validates its config, enrolls and connects to the control plane", async () => {
    const badFile = path.join(dir, "bad.json");
    await writeFile(badFile, JSON.stringify({ host }), { mode: 0o600 });
    const bad = await bundled(["agent", "run", "--config", badFile]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^rewind: CONFIG_INVALID: .*bad\.json: .*stateDir/);

    const { body } = await apiJson<{ token: string }>(world, "/v1/enrollments", { method: "POST", body: JSON.stringify({ host }) });
    const projectDir = path.join(dir, "project");
    await mkdir(projectDir);
    // --config comes from $REWIND_CONFIG, as on a host.
    const enrolled = await bundled(
      ["agent", "enroll", "--url", world.url, "--token", body.token, "--host", host, "--project-dir", projectDir, "--project", `rewind-test-${host}`],
      {
        env: { REWIND_CONFIG: configFile },
      },
    );
    expect(enrolled.code, enrolled.stderr).toBe(0);
    expect((await stat(configFile)).mode & 0o777).toBe(0o600);
    const raw = JSON.parse(await readFile(configFile, "utf8")) as Record<string, unknown>;
    await writeFile(configFile, JSON.stringify({ ...raw, log: { format: "json" } }), { mode: 0o600 });

    agent = spawnAgent(configFile, { entry: bundle, cwd: dir });
    await waitUntil(async () => ((await hostEntry(world, host))?.status === "online" ? true : undefined), "the bundled agent online", 60_000, agent);
  });
});

describe("rewind login", () => {
  const cliFile = () => path.join(home, ".config", "rewind", "cli.json");

  it("refuses a token the control plane does not know, storing nothing", async () => {
    const refused = await bundled(["login", "--url", world.url], { input: "not-a-real-token\n" });
    expect(refused.code).toBe(5);
    expect(refused.stderr).toMatch(/^rewind: UNAUTHORIZED: /);
    await expect(stat(cliFile())).rejects.toThrow(/ENOENT/);
  });

  it("stores the URL and the token read from stdin (0600 in a 0700 directory), and the commands use them", async () => {
    const login = await bundled(["login", "--url", `${world.url}/`], { input: `${operator.token}\n` });
    expect(login.code, login.stderr).toBe(0);
    expect(login.stdout).toBe(`logged in to ${world.url} as token ${operator.id} (operator); settings stored in ${cliFile()}\n`);
    expect((await stat(cliFile())).mode & 0o777).toBe(0o600);
    expect((await stat(path.dirname(cliFile()))).mode & 0o777).toBe(0o700);
    expect(JSON.parse(await readFile(cliFile(), "utf8"))).toEqual({ url: world.url, token: operator.token });

    // No --url, --token or REWIND_* variables: the stored settings. Times are ages, not ISO stamps.
    const hosts = await bundled(["hosts"]);
    expect(hosts.code, hosts.stderr).toBe(0);
    expect(hosts.stdout).toMatch(new RegExp(`^${host}\\s+online\\s+(just now|\\d+ s ago)\\s+none\\s+${agentVersion}$`, "m"));
    expect(hosts.stdout).not.toMatch(/\d{4}-\d\d-\d\dT/);
    // The environment still wins over the file.
    const viaEnv = await bundled(["hosts"], { env: { REWIND_TOKEN: "wrong-token-123" } });
    expect(viaEnv.code).toBe(5);
    expect(viaEnv.stderr).toMatch(/^rewind: UNAUTHORIZED: /);
  });
});

describe("rewind rollbacks and rewind status", () => {
  let queued: string;
  const succeeded = "rb-cli-succeeded-1";

  it("lists a requested rollback, and status exits 3 while it waits", async () => {
    await agent?.stop();
    agent = undefined;
    await waitUntil(async () => ((await hostEntry(world, host))?.status === "offline" ? true : undefined), "the host offline");
    const now = Date.now();
    const db = await world.d1();
    // A verified backup as the agent's announcement would index it, so a rollback can be requested.
    await db
      .prepare(
        "INSERT INTO backups (host, backup_id, created_at, timestamp, git_commit, git_branch, storage, object_key, sha256, verified, indexed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?)",
      )
      .bind(
        host,
        "pre-deployment-20261203_060000",
        now - 3_600_000,
        "20261203_060000",
        "a".repeat(40),
        "main",
        "r2",
        `manifests/${host}/x.json`,
        "b".repeat(64),
        now,
      )
      .run();
    // A finished rollback as the D1 mirror keeps it.
    await db
      .prepare(
        "INSERT INTO rollbacks (id, host, backup_id, mode, reason, state, requested_by, requester, automatic, source, command_id, approvals_required, approvals, created_at, updated_at, downtime_ms) VALUES (?, ?, ?, 'full', 'an earlier bad deploy', 'succeeded', ?, ?, 0, 'operator', NULL, 1, '[]', ?, ?, 4200)",
      )
      .bind(
        succeeded,
        host,
        "pre-deployment-20261203_060000",
        operator.id,
        JSON.stringify({ kind: "token", tokenId: operator.id, role: "operator" }),
        now - 7_200_000,
        now - 7_100_000,
      )
      .run();

    const requested = await bundled(["rollback", host, "--reason", "cli test: v2 failing", "--yes", "--json"]);
    expect(requested.code, requested.stderr).toBe(0);
    const answer = JSON.parse(requested.stdout) as { rollbackId: string; state: string };
    expect(answer.state).toBe("queued");
    queued = answer.rollbackId;

    const status = await bundled(["status", queued]);
    expect(status.code).toBe(3);
    expect(status.stdout.split("\n")[0]).toBe(`rollback ${queued} on ${host}: queued`);

    const list = await bundled(["rollbacks"]);
    expect(list.code, list.stderr).toBe(0);
    const lines = list.stdout.trimEnd().split("\n");
    expect(lines[0]).toMatch(/^ROLLBACK +HOST +STATE +MODE +REQUESTED +BY +REASON$/);
    expect(lines[1]).toMatch(new RegExp(`^${queued} +${host} +queued +full +(just now|\\d+ s ago) +${operator.id} +cli test: v2 failing$`));
    expect(lines[2]).toMatch(new RegExp(`^${succeeded} +${host} +succeeded +full +2 h ago +${operator.id} +an earlier bad deploy$`));
  });

  it("exits 1 once it was cancelled, 0 for one that succeeded, 4 for an unknown id, 5 without an answer", async () => {
    expect((await bundled(["cancel", queued])).code).toBe(0);
    const cancelled = await bundled(["status", queued]);
    expect(cancelled.code).toBe(1);
    expect(cancelled.stdout).toContain("final state: cancelled\n");
    const done = await bundled(["status", succeeded]);
    expect(done.code).toBe(0);
    expect(done.stdout).toContain("final state: succeeded\n");
    expect(await bundled(["status", "rb-unknown-0001"])).toMatchObject({ code: 4, stderr: "rewind: NOT_FOUND: no rollback rb-unknown-0001\n" });
    const closed = await freePort();
    const unreachable = await bundled(["status", succeeded, "--url", `http://127.0.0.1:${closed}`]);
    expect(unreachable.code).toBe(5);
    expect(unreachable.stderr).toMatch(/^rewind: UNAVAILABLE: cannot reach the control plane/);
  });

  it("filters by host and state", async () => {
    const byState = await bundled(["rollbacks", host, "--state", "cancelled", "--json"]);
    expect(byState.code).toBe(0);
    expect((JSON.parse(byState.stdout) as { rollbacks: { rollbackId: string }[] }).rollbacks.map((r) => r.rollbackId)).toEqual([queued]);
    expect((await bundled(["rollbacks", "no-such-host"])).stdout).toBe("no rollbacks of no-such-host\n");
    expect((await bundled(["rollbacks", "--state", "sideways"])).code).toBe(2);
  });
});

import { readFile } from "node:fs/promises";
import path from "node:path";
import { PassThrough, Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { RewindError } from "../../../shared/errors.ts";
import { rollbackState } from "../../../shared/schemas/rollback.ts";
import { agentVersion } from "../version.ts";
import { configPath, numberOption, positionals } from "./args.ts";
import { remoteCommandExit, rollbackStateExit, statusErrorExit, statusExitCodes } from "./exit-codes.ts";
import { main } from "./main.ts";
import { listQuery } from "./remote/rollbacks.ts";

function sink(): { stream: Writable; text(): string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(chunk.toString());
      done();
    },
  });
  return { stream, text: () => chunks.join("") };
}

async function cli(argv: string[], options: { env?: NodeJS.ProcessEnv; stdin?: PassThrough & { isTTY?: boolean } } = {}) {
  const out = sink();
  const err = sink();
  const stdin = options.stdin ?? new PassThrough();
  if (options.stdin === undefined) stdin.end();
  const code = await main(argv, { stdin, stdout: out.stream, stderr: err.stream, env: options.env ?? { HOME: "/nonexistent-home" } });
  return { code, stdout: out.text(), stderr: err.text() };
}

const commandNames = [
  "login",
  "hosts",
  "hosts rm",
  "backups",
  "rollbacks",
  "rollback",
  "status",
  "approve",
  "cancel",
  "abandon",
  "agent enroll",
  "agent run",
  "backup",
  "deploy",
  "keygen",
  "audit",
];

describe("rewind --version and help", () => {
  it("prints the version", async () => {
    expect(await cli(["--version"])).toEqual({ code: 0, stdout: `rewind ${agentVersion}\n`, stderr: "" });
  });

  it("lists every command in the overview; no arguments is a usage error on stderr", async () => {
    const overview = await cli(["--help"]);
    expect(overview.code).toBe(0);
    for (const name of commandNames) expect(overview.stdout).toContain(`  rewind ${name} `);
    const bare = await cli([]);
    expect(bare).toMatchObject({ code: 2, stdout: "" });
    expect(bare.stderr).toBe(overview.stdout);
    // The list below is the dispatcher's: a command added without its help checks fails here.
    const listed = [...overview.stdout.matchAll(/^ {2}rewind (\S+(?: [a-z]+)?) {2,}/gm)].map((match) => match[1]);
    expect(listed).toEqual(commandNames);
    const readme = await readFile(path.join(import.meta.dirname, "../../../README.md"), "utf8");
    const section = readme.slice(readme.indexOf("\n## CLI\n"), readme.indexOf("\n## Operators\n"));
    const rows = section.split("\n").filter((line) => line.startsWith("| `rewind "));
    for (const name of commandNames)
      expect(
        rows.some((row) => row.includes(`\`rewind ${name}`)),
        `README's CLI table lacks rewind ${name}`,
      ).toBe(true);
  });

  it("describes a family of subcommands by `help agent` and `agent --help`", async () => {
    const viaHelp = await cli(["help", "agent"]);
    expect(viaHelp).toMatchObject({ code: 0, stderr: "" });
    expect(await cli(["agent", "--help"])).toEqual(viaHelp);
    expect(viaHelp.stdout).toMatch(/^usage: rewind agent <enroll\|run> \[options\]\n/);
    expect(viaHelp.stdout).toMatch(/\n {2}rewind agent enroll {2}register this host/);
    expect(viaHelp.stdout).toMatch(/\n {2}rewind agent run {5}run the agent/);
  });

  it.each(commandNames)(
    "describes `%s` with its options and exit codes, by `help` and by --help",
    async (name) => {
      const words = name.split(" ");
      const viaHelp = await cli(["help", ...words]);
      const viaFlag = await cli([...words, "--help"]);
      expect(viaHelp.code).toBe(0);
      expect(viaFlag).toEqual(viaHelp);
      expect(viaHelp.stdout).toMatch(new RegExp(`^usage: rewind ${name}`));
      expect(viaHelp.stdout).toMatch(/\n(\w+ )?options( \(.*\))?:\n(.*\n)* {2}-h, --help +show this help\n/);
      expect(viaHelp.stdout).toMatch(/\nexit codes:\n {2}0 {2}\S/);
      // Every option line carries a description, not only the flag.
      for (const line of viaHelp.stdout.split("\n").filter((l) => /^ {2}(-\w, |\s{4})--/.test(l))) expect(line).toMatch(/--\S+( \S+)? {2,}\S/);
      // The first load of a host command's module (dockerode, the engine) is slow on a busy machine.
    },
    30_000,
  );

  it("documents the status exit codes of both forms, as the README does", async () => {
    const { stdout } = await cli(["status", "--help"]);
    expect(stdout).toContain("  0  the rollback succeeded; --local: everything kept was listed\n");
    expect(stdout).toContain("  1  it ended without success: failed, undone, cancelled, expired or lost; --local: a source could not be read");
    expect(stdout).toContain("  3  not finished yet");
    expect(stdout).toContain("  4  no such rollback\n");
    expect((await cli(["--help"])).stdout).toMatch(/\n {2}rewind status +.*--local: what this host keeps for an undo\n/);
    const readme = await readFile(path.join(import.meta.dirname, "../../../README.md"), "utf8");
    const table = readme.slice(readme.indexOf("| Exit | `rewind status ID` and `rewind status --local` |"));
    const rows = [...table.matchAll(/^\| (\d) \| (.*) \|$/gm)].slice(0, statusExitCodes.length);
    expect(rows.map((row) => [Number(row[1]), row[2]?.replaceAll("`", "")])).toEqual(statusExitCodes);
  });

  it("does not take a deploy command's own --help for rewind's", async () => {
    const run = await cli(["deploy", "--", "./deploy.sh", "--help"], { env: { REWIND_CONFIG: "/nonexistent/agent.json" } });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/^rewind: CONFIG_INVALID: cannot read config \/nonexistent\/agent\.json/);
  });
});

describe("errors", () => {
  it("print as `rewind: CODE: message` with a pointer to the command's help for usage errors", async () => {
    expect(await cli(["frobnicate"])).toEqual({
      code: 2,
      stdout: "",
      stderr: "rewind: BAD_REQUEST: unknown command 'frobnicate'; run 'rewind --help' for the list of commands\n",
    });
    expect(await cli(["agent"])).toMatchObject({
      code: 2,
      stderr: "rewind: BAD_REQUEST: 'agent' needs one of: enroll, run; run 'rewind --help' for the list of commands\n",
    });
    expect(await cli(["status", "--bogus"])).toEqual({
      code: 2,
      stdout: "",
      stderr: "rewind: BAD_REQUEST: unknown option '--bogus'\nrun 'rewind status --help' for its usage\n",
    });
    expect(await cli(["status", "-9frWfU_-Q6VAH"])).toMatchObject({
      code: 2,
      stderr:
        "rewind: BAD_REQUEST: unknown option '-9frWfU_-Q6VAH' (an argument that starts with '-' goes after '--': -- -9frWfU_-Q6VAH)\nrun 'rewind status --help' for its usage\n",
    });
    expect(await cli(["rollbacks", "--limit", "0"])).toMatchObject({ code: 2, stderr: expect.stringMatching(/^rewind: BAD_REQUEST: --limit must be/) });
    for (const argv of [
      ["status", ""],
      ["backups", " "],
      ["rollbacks", ""],
      ["cancel", ""],
    ]) {
      expect(await cli(argv)).toMatchObject({ code: 2, stderr: expect.stringMatching(/^rewind: BAD_REQUEST: (ROLLBACK_ID|HOST) is empty\n/) });
    }
    // A bad flag is named before the agent config is read.
    const deploy = await cli(["deploy", "--window", "soon", "--", "true"], { env: { REWIND_CONFIG: "/nonexistent/agent.json" } });
    expect(deploy).toMatchObject({ code: 2, stderr: expect.stringMatching(/^rewind: BAD_REQUEST: --window must be a number ≥ 0, not 'soon'\n/) });
  });

  it("names the missing connection settings and `rewind login`", async () => {
    const run = await cli(["hosts"]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/^rewind: CONFIG_INVALID: no control plane URL: run `rewind login --url URL`/);
  });
});

describe("--config", () => {
  const hostCommands = [
    ["agent", "run"],
    ["agent", "enroll", "--url", "http://127.0.0.1:9", "--token", "t", "--host", "h"],
    ["backup"],
    ["rollback", "--local", "--yes"],
    ["deploy", "--", "true"],
    ["status", "--local"],
  ];
  it.each(hostCommands.map((argv) => [argv.join(" "), argv] as const))(
    "defaults to $REWIND_CONFIG for `%s`",
    async (_name, argv) => {
      const run = await cli(argv, { env: { REWIND_CONFIG: "/nonexistent/from-env.json" } });
      // enroll reads an existing config to keep its settings, then fails to reach the control plane.
      if (argv[1] === "enroll") expect(run.stderr).toMatch(/^rewind: UNAVAILABLE: /);
      else expect(run).toMatchObject({ code: 2, stderr: expect.stringMatching(/^rewind: CONFIG_INVALID: cannot read config \/nonexistent\/from-env\.json/) });
    },
    30_000,
  );

  // enroll writes the config rather than needing one.
  const needConfig = hostCommands.filter((argv) => argv[1] !== "enroll");
  it.each(needConfig.map((argv) => [argv.join(" "), argv] as const))(
    "`%s` documents the exit code of a missing agent config",
    async (_name, argv) => {
      const run = await cli(argv, { env: { REWIND_CONFIG: "/nonexistent/from-env.json" } });
      expect(run.stderr).toMatch(/^rewind: CONFIG_INVALID: /);
      const help = await cli([...argv.slice(0, argv[0] === "agent" ? 2 : 1), "--help"]);
      expect(help.stdout).toMatch(new RegExp(`\\n {2}${run.code} {2}.*\\bconfig\\b`));
    },
    30_000,
  );

  it("falls back to /etc/rewind/agent.json", () => {
    expect(configPath(undefined, {})).toBe("/etc/rewind/agent.json");
    expect(configPath(undefined, { REWIND_CONFIG: "" })).toBe("/etc/rewind/agent.json");
    expect(configPath(undefined, { REWIND_CONFIG: "/srv/a.json" })).toBe("/srv/a.json");
    expect(configPath("/x.json", { REWIND_CONFIG: "/srv/a.json" })).toBe("/x.json");
  });
});

describe("exit codes", () => {
  it("map every rollback state for `rewind status`", () => {
    const codes = Object.fromEntries(rollbackState.options.map((state) => [state, rollbackStateExit(state)]));
    expect(codes).toEqual({ "pending-approval": 3, queued: 3, running: 3, succeeded: 0, failed: 1, undone: 1, cancelled: 1, expired: 1, lost: 1 });
  });

  it("keep 1 for a rollback that ended badly: other errors of `status` are 5", () => {
    const error = (code: ConstructorParameters<typeof RewindError>[0]) => new RewindError(code, "x");
    expect(
      [error("BAD_REQUEST"), error("CONFIG_INVALID"), error("NOT_FOUND"), error("UNAVAILABLE"), error("FORBIDDEN"), error("MALFORMED")].map(statusErrorExit),
    ).toEqual([2, 2, 4, 5, 5, 5]);
    expect([error("CONFLICT"), error("FORBIDDEN"), error("NOT_FOUND"), error("UNAUTHORIZED")].map(remoteCommandExit)).toEqual([1, 1, 4, 5]);
  });
});

describe("argument helpers", () => {
  it("check numbers and positionals", () => {
    expect(numberOption("2.5", "window", 0)).toBe(2.5);
    expect(() => numberOption("", "window", 0)).toThrow("--window must be a number ≥ 0, not ''");
    expect(() => numberOption("-1", "failures", 1)).toThrow("--failures must be a number ≥ 1, not '-1'");
    expect(positionals(["web-1"], ["HOST"])).toEqual(["web-1"]);
    expect(() => positionals([], ["HOST"])).toThrow("expected HOST, got none");
    expect(() => positionals(["x"], [])).toThrow("expected no arguments, got 'x'");
    expect(() => positionals([""], ["ROLLBACK_ID"])).toThrow("ROLLBACK_ID is empty");
  });

  it("build the rollback list query", () => {
    expect(listQuery(undefined, undefined, 20)).toBe("/v1/rollbacks?limit=20");
    expect(listQuery("web 1", "running", 5)).toBe("/v1/rollbacks?limit=5&host=web+1&state=running");
  });
});

describe("prompts", () => {
  it("go to stderr, and a wrong host name requests nothing", async () => {
    const stdin: PassThrough & { isTTY?: boolean } = new PassThrough();
    stdin.isTTY = true;
    const run = cli(["rollback", "web-1", "--reason", "bad deploy", "--url", "http://127.0.0.1:9", "--token", "operator-token"], { stdin });
    stdin.write("web-2\n");
    const { code, stdout, stderr } = await run;
    expect(code).toBe(1);
    expect(stdout).toBe("");
    expect(stderr).toContain("Type the host name to confirm: ");
    expect(stderr).toContain('rewind: CANCELLED: "web-2" is not "web-1"; nothing was requested\n');
  });

  it("login refuses an empty token on stdin", async () => {
    expect(await cli(["login", "--url", "http://127.0.0.1:9"])).toMatchObject({
      code: 2,
      stderr: expect.stringMatching(/^rewind: BAD_REQUEST: no token on stdin/),
    });
  });
});

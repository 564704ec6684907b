// The `rewind` command line: one binary for operators, agents and auditors. Each subcommand lives in
// its own module (./commands, ./remote) and is loaded only when called, so `rewind --help` stays fast.
// This module owns what every command shares: --help and `rewind help CMD`, --version, and how an
// error is printed (`rewind: CODE: message`) and turned into an exit code.
import { isRewindError } from "../../../shared/errors.ts";
import { agentVersion } from "../version.ts";
import { isUsageError } from "./args.ts";
import { exit, hostCommandExit } from "./exit-codes.ts";
import { renderFamily, renderHelp, renderOverview } from "./help.ts";
import type { CliIo, Command } from "./io.ts";

interface Entry {
  summary: string;
  load: () => Promise<{ command: Command }>;
}

const groups: { title: string; commands: Record<string, Entry> }[] = [
  {
    title: "operators (through the control plane)",
    commands: {
      login: { summary: "store the control plane URL and your API token for the commands below", load: () => import("./remote/login.ts") },
      hosts: { summary: "enrolled hosts, online or not, and their newest backup", load: () => import("./remote/hosts.ts") },
      "hosts rm": { summary: "retire a host: its key stops working, what it had queued is cancelled (admin)", load: () => import("./remote/hosts-rm.ts") },
      backups: { summary: "a host's verified backups, newest first", load: () => import("./remote/backups.ts") },
      rollbacks: { summary: "recent rollbacks, of every host or of one", load: () => import("./remote/rollbacks.ts") },
      rollback: { summary: "roll a host back (through the control plane, or --local on the host)", load: () => import("./commands/rollback.ts") },
      status: {
        summary: "a rollback's state and steps, also as its exit code; --local: what this host keeps for an undo",
        load: () => import("./remote/status.ts"),
      },
      approve: { summary: "approve a rollback waiting for a second operator", load: () => import("./remote/approve.ts") },
      cancel: { summary: "cancel a rollback before services stop", load: () => import("./remote/cancel.ts") },
      abandon: { summary: "give up on a running rollback whose agent is gone (admin)", load: () => import("./remote/abandon.ts") },
    },
  },
  {
    title: "on a host",
    commands: {
      "agent enroll": { summary: "register this host with the control plane", load: () => import("./commands/agent-enroll.ts") },
      "agent run": { summary: "run the agent (outbound WebSocket only)", load: () => import("./commands/agent-run.ts") },
      backup: { summary: "take a pre-deployment backup on this host", load: () => import("./commands/backup.ts") },
      deploy: { summary: "back up, deploy, watch health, roll back on failure", load: () => import("./commands/deploy.ts") },
    },
  },
  {
    title: "keys and audit",
    commands: {
      keygen: { summary: "make an Ed25519 key for the control plane's SIGNING_KEYS", load: () => import("./commands/keygen.ts") },
      audit: { summary: "export the audit log, or verify an export offline", load: () => import("./commands/audit.ts") },
    },
  },
];

const commands: Record<string, Entry> = Object.assign({}, ...groups.map((group) => group.commands));

function overview(): string {
  return renderOverview(
    groups.map((group) => ({ title: group.title, commands: Object.entries(group.commands).map(([name, entry]) => ({ name, summary: entry.summary })) })),
    agentVersion,
  );
}

function printError(io: CliIo, code: string, message: string): void {
  io.stderr.write(`rewind: ${code}: ${message}\n`);
}

/** The command named by the first one or two words of argv, and the arguments after them. */
function lookup(argv: string[]): { name: string; entry: Entry; rest: string[] } | { error: string; family?: string } {
  const two = argv.slice(0, 2).join(" ");
  const one = argv[0] ?? "";
  const twoEntry = commands[two];
  if (twoEntry !== undefined) return { name: two, entry: twoEntry, rest: argv.slice(2) };
  const oneEntry = commands[one];
  if (oneEntry !== undefined) return { name: one, entry: oneEntry, rest: argv.slice(1) };
  const family = Object.keys(commands).filter((name) => name.startsWith(`${one} `));
  if (family.length > 0) return { error: `'${one}' needs one of: ${family.map((name) => name.slice(one.length + 1)).join(", ")}`, family: one };
  return { error: `unknown command '${argv.join(" ")}'` };
}

/** --help or -h among the command's own arguments (not in a deploy command after `--`). */
function wantsHelp(argv: string[]): boolean {
  const split = argv.indexOf("--");
  return (split < 0 ? argv : argv.slice(0, split)).some((arg) => arg === "--help" || arg === "-h");
}

export async function main(argv: string[], io: CliIo): Promise<number> {
  const first = argv[0];
  if (first === undefined || first === "--help" || first === "-h" || (first === "help" && argv.length === 1)) {
    (first === undefined ? io.stderr : io.stdout).write(overview());
    return first === undefined ? exit.usage : exit.ok;
  }
  if (first === "--version") {
    io.stdout.write(`rewind ${agentVersion}\n`);
    return exit.ok;
  }
  const asked = first === "help" ? argv.slice(1) : argv;
  const found = lookup(asked);
  // `rewind help agent` or `rewind agent --help`: the family's commands, as the overview shows them.
  const familyHelp = first === "help" ? asked.length === 1 : asked.length === 2 && wantsHelp(asked);
  if ("error" in found && found.family !== undefined && familyHelp) {
    const members = Object.entries(commands).filter(([name]) => name.startsWith(`${found.family} `));
    io.stdout.write(
      renderFamily(
        found.family,
        members.map(([name, entry]) => ({ name, summary: entry.summary })),
      ),
    );
    return exit.ok;
  }
  if ("error" in found) {
    printError(io, "BAD_REQUEST", `${found.error}; run 'rewind --help' for the list of commands`);
    return exit.usage;
  }
  let command: Command | undefined;
  try {
    ({ command } = await found.entry.load());
    if (first === "help" || wantsHelp(found.rest)) {
      io.stdout.write(renderHelp(command.help));
      return exit.ok;
    }
    return await command.run(found.rest, io);
  } catch (error) {
    if (isRewindError(error)) {
      printError(io, error.code, error.message);
      if (isUsageError(error)) io.stderr.write(`run 'rewind ${found.name} --help' for its usage\n`);
      return (command?.exitCodeFor ?? hostCommandExit)(error, found.rest);
    }
    const message = error instanceof Error ? error.message : String(error);
    printError(io, "INTERNAL", `${message} (a bug: please report it with REWIND_DEBUG=1 output)`);
    if (io.env.REWIND_DEBUG === "1" && error instanceof Error && error.stack !== undefined) io.stderr.write(`${error.stack}\n`);
    return exit.failed;
  }
}

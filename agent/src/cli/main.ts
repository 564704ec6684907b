// The `rewind` command line: one binary for operators, agents and auditors. Each subcommand lives
// in its own module under ./commands and is loaded only when called, so `rewind --help` stays fast.
import { isRewindError } from "../../../shared/errors.ts";

export interface CliIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  env: NodeJS.ProcessEnv;
}

/** A subcommand takes its own argv (after the command words) and returns the exit code. */
export type Subcommand = (argv: string[], io: CliIo) => Promise<number>;

const commands: Record<string, { module: () => Promise<{ run: Subcommand }>; summary: string }> = {
  "agent enroll": { module: () => import("./commands/agent-enroll.ts"), summary: "register this host with the control plane" },
  "agent run": { module: () => import("./commands/agent-run.ts"), summary: "run the agent (outbound WebSocket only)" },
  backup: { module: () => import("./commands/backup.ts"), summary: "take a pre-deployment backup on this host" },
  deploy: { module: () => import("./commands/deploy.ts"), summary: "back up, deploy, watch health, roll back on failure" },
  rollback: { module: () => import("./commands/rollback.ts"), summary: "roll a host back (via the control plane, or --local)" },
  audit: { module: () => import("./commands/audit.ts"), summary: "export or verify the audit log offline" },
  status: { module: () => import("./remote/status.ts"), summary: "a rollback's state and steps (--follow: live until it ends)" },
  hosts: { module: () => import("./remote/hosts.ts"), summary: "enrolled hosts, online or not, and their newest backup" },
  backups: { module: () => import("./remote/backups.ts"), summary: "a host's verified backups, newest first" },
  approve: { module: () => import("./remote/approve.ts"), summary: "approve a rollback waiting for a second operator" },
  cancel: { module: () => import("./remote/cancel.ts"), summary: "cancel a rollback before services stop" },
  keygen: { module: () => import("./commands/keygen.ts"), summary: "make an Ed25519 key for the control plane's SIGNING_KEYS" },
};

function usage(): string {
  const lines = Object.entries(commands).map(([name, c]) => `  rewind ${name.padEnd(16)} ${c.summary}`);
  return `usage: rewind <command> [options]\n\ncommands:\n${lines.join("\n")}\n`;
}

export async function main(argv: string[], io: CliIo): Promise<number> {
  if (argv.length === 0 || argv[0] === "--help" || argv[0] === "-h") {
    io.stdout.write(usage());
    return argv.length === 0 ? 2 : 0;
  }
  const two = argv.slice(0, 2).join(" ");
  const [name, rest] = commands[two] ? [two, argv.slice(2)] : [argv[0] ?? "", argv.slice(1)];
  const command = commands[name];
  if (!command) {
    io.stderr.write(`rewind: unknown command '${argv[0]}'\n\n${usage()}`);
    return 2;
  }
  try {
    const { run } = await command.module();
    return await run(rest, io);
  } catch (error) {
    if (isRewindError(error)) {
      io.stderr.write(`rewind: ${error.code}: ${error.message}\n`);
      return error.code === "CONFIG_INVALID" || error.code === "BAD_REQUEST" ? 2 : 1;
    }
    io.stderr.write(`rewind: unexpected error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    return 1;
  }
}

// `rewind deploy [--config PATH] [--window SECONDS] -- <deploy command…>`: the seed's
// deploy-with-rollback.sh. Progress goes to stderr (the deploy command keeps the terminal's
// stdout); the outcome is the exit code: 0 deployed, 3 rolled back, 4 rollback failed, 5 no backup.
import { parseArgs } from "node:util";
import Docker from "dockerode";
import { RewindError } from "../../../../shared/errors.ts";
import { loadAgentConfig } from "../../config.ts";
import { type DeployOutcome, describeFailure, exitCodeOf } from "../../deploy/outcome.ts";
import { type DeployEvent, runDeploy } from "../../deploy/run-deploy.ts";
import type { CliIo, Subcommand } from "../main.ts";

const usage = `usage: rewind deploy [--config PATH] [--window SECONDS] [--interval SECONDS] [--failures N]
                     [--local] [--json] -- <deploy command> [args…]

  Backs up first, runs the deploy command (no shell unless you name one: -- sh -c '…'), then
  watches the compose project's health. A failed command, N consecutive failed checks of any
  service or smoke check, or a failed verification at the end of the window rolls back at once:
  through the control plane when it takes the request, locally otherwise.

  --config PATH        agent config (default: $REWIND_CONFIG or /etc/rewind/agent.json)
  --window SECONDS     how long to watch after the command succeeded (default 300)
  --interval SECONDS   time between health-check rounds (default 10)
  --failures N         consecutive failed checks that mean a rollback (default 3, the seed's)
  --local              never ask the control plane: roll back on this host directly
  --rollback-timeout SECONDS  how long to follow a rollback the agent runs (default 1800)
  --json               print the outcome as JSON on stdout

  exit codes: 0 deployed and healthy, 3 failed and rolled back, 4 failed and the rollback did not
  restore the host, 5 the backup failed (nothing was deployed), 2 usage.
`;

function seconds(raw: string, name: string, min: number): number {
  const value = Number(raw);
  if (!Number.isFinite(value) || value < min) throw new RewindError("BAD_REQUEST", `--${name} must be a number ≥ ${min}, not '${raw}'\n${usage}`);
  return value;
}

function parse(argv: string[]) {
  const split = argv.indexOf("--");
  const own = split < 0 ? argv : argv.slice(0, split);
  const command = split < 0 ? [] : argv.slice(split + 1);
  try {
    const { values } = parseArgs({
      args: own,
      options: {
        config: { type: "string" },
        window: { type: "string", default: "300" },
        interval: { type: "string", default: "10" },
        failures: { type: "string", default: "3" },
        "rollback-timeout": { type: "string", default: "1800" },
        local: { type: "boolean", default: false },
        json: { type: "boolean", default: false },
        help: { type: "boolean", default: false },
      },
      strict: true,
      allowPositionals: false,
    });
    return { values, command };
  } catch (error) {
    throw new RewindError("BAD_REQUEST", `${(error as Error).message}\n${usage}`);
  }
}

function printEvent(io: CliIo, event: DeployEvent): void {
  switch (event.kind) {
    case "phase":
      io.stderr.write(`[deploy] ${event.message}\n`);
      return;
    case "round": {
      const failing = event.checks.filter((check) => check.ok === false).map((check) => `${check.detail} (${event.counts[check.name] ?? 0}x)`);
      const pending = event.checks.filter((check) => check.ok === undefined).length;
      io.stderr.write(
        `[watch] ${failing.length === 0 ? "all checks pass" : `failing: ${failing.join(", ")}`}${pending > 0 ? `; ${pending} still starting` : ""}\n`,
      );
      return;
    }
    case "rollback-progress": {
      const e = event.event;
      io.stderr.write(`[rollback ${e.step}] ${e.state}${e.message ? ` ${e.message}` : ""}\n`);
      return;
    }
  }
}

function summary(outcome: DeployOutcome): string {
  switch (outcome.result) {
    case "deployed":
      return `deployed; healthy through the watch window (backup ${outcome.backupId} kept)`;
    case "backup-failed":
      return `not deployed: the pre-deployment backup failed (${outcome.code}: ${outcome.message})`;
    case "rolled-back":
    case "rollback-failed": {
      const how = `${outcome.path === "local" ? "locally" : "through the control plane"}, rollback ${outcome.rollbackId ?? "?"}`;
      const result =
        outcome.result === "rolled-back"
          ? `rolled back to ${outcome.backupId} ${how}`
          : `ROLLBACK DID NOT RESTORE THE HOST (${outcome.rollbackState ?? "no report"}) ${how}${outcome.message ? `: ${outcome.message}` : ""}`;
      return `deployment failed: ${describeFailure(outcome.failure)}; ${result}`;
    }
  }
}

export const run: Subcommand = async (argv, io) => {
  const { values: args, command } = parse(argv);
  if (args.help) {
    io.stdout.write(usage);
    return 0;
  }
  if (command.length === 0) throw new RewindError("BAD_REQUEST", `no deploy command: put it after --\n${usage}`);
  const configPath = args.config ?? io.env.REWIND_CONFIG ?? "/etc/rewind/agent.json";
  const config = await loadAgentConfig(configPath);
  const outcome = await runDeploy(
    config,
    {
      command,
      windowMs: seconds(args.window, "window", 0) * 1000,
      intervalMs: seconds(args.interval, "interval", 0.1) * 1000,
      failureThreshold: seconds(args.failures, "failures", 1),
      viaControlPlane: !args.local,
      rollbackTimeoutMs: seconds(args["rollback-timeout"], "rollback-timeout", 1) * 1000,
    },
    { docker: new Docker(), env: io.env, onEvent: (event) => printEvent(io, event) },
  );
  if (args.json) io.stdout.write(`${JSON.stringify(outcome, null, 2)}\n`);
  io.stderr.write(`rewind deploy: ${summary(outcome)}\n`);
  return exitCodeOf(outcome);
};

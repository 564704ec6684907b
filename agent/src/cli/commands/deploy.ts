// `rewind deploy [--config PATH] [--timeout SECONDS] [--window SECONDS] -- <deploy command…>`: the seed's
// deploy-with-rollback.sh. Progress goes to stderr (the deploy command keeps the terminal's
// stdout); the outcome is the exit code: 0 deployed, 3 rolled back, 4 rollback failed, 5 no backup.
import { loadAgentConfig } from "../../config.ts";
import { dockerClient } from "../../host/docker-client.ts";
import { type DeployOutcome, describeFailure, exitCodeOf } from "../../deploy/outcome.ts";
import { type DeployEvent, runDeploy } from "../../deploy/run-deploy.ts";
import { configOption, configPath, numberOption, parseCommand, usageError } from "../args.ts";
import { stepLine } from "../format.ts";
import type { CliIo, Command } from "../io.ts";

const options = {
  ...configOption,
  timeout: {
    type: "string",
    value: "SECONDS",
    description:
      "how long the deploy command may run; past it its process group is killed and the deploy rolls back (default: deploy.commandTimeoutSeconds in the agent config, 3600)",
  },
  window: { type: "string", value: "SECONDS", default: "300", description: "how long to watch after the command succeeded (default 300)" },
  interval: { type: "string", value: "SECONDS", default: "10", description: "time between health-check rounds (default 10)" },
  failures: { type: "string", value: "N", default: "3", description: "consecutive failed checks that mean a rollback (default 3, the seed's)" },
  local: { type: "boolean", default: false, description: "never ask the control plane: roll back on this host directly" },
  "rollback-timeout": { type: "string", value: "SECONDS", default: "1800", description: "how long to follow a rollback the agent runs (default 1800)" },
  json: { type: "boolean", default: false, description: "print the outcome as JSON on stdout" },
} as const;

function parse(argv: string[]) {
  const split = argv.indexOf("--");
  const { values } = parseCommand(options, split < 0 ? argv : argv.slice(0, split));
  return { values, command: split < 0 ? [] : argv.slice(split + 1) };
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
    case "rollback-progress":
      io.stderr.write(`${stepLine(event.event)}\n`);
      return;
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

async function run(argv: string[], io: CliIo): Promise<number> {
  const { values: args, command } = parse(argv);
  if (command.length === 0) throw usageError("no deploy command: put it after --");
  // Every flag is checked before the config is read, so a typo is named as such.
  const timeout = args.timeout === undefined ? undefined : numberOption(args.timeout, "timeout", 1);
  const watch = {
    windowMs: numberOption(args.window, "window", 0) * 1000,
    intervalMs: numberOption(args.interval, "interval", 0.1) * 1000,
    failureThreshold: numberOption(args.failures, "failures", 1),
    viaControlPlane: !args.local,
    rollbackTimeoutMs: numberOption(args["rollback-timeout"], "rollback-timeout", 1) * 1000,
  };
  const config = await loadAgentConfig(configPath(args.config, io.env));
  const outcome = await runDeploy(
    config,
    { command, commandTimeoutSeconds: timeout ?? config.deploy.commandTimeoutSeconds, ...watch },
    { docker: dockerClient(config.docker.timeouts), env: io.env, onEvent: (event) => printEvent(io, event) },
  );
  if (args.json) io.stdout.write(`${JSON.stringify(outcome, null, 2)}\n`);
  io.stderr.write(`rewind deploy: ${summary(outcome)}\n`);
  return exitCodeOf(outcome);
}

export const command: Command = {
  help: {
    usage: [
      "rewind deploy [--config PATH] [--timeout SECONDS] [--window SECONDS] [--interval SECONDS] [--failures N] [--local] [--rollback-timeout SECONDS] [--json] -- <deploy command> [args…]",
    ],
    description:
      "The seed's deploy-with-rollback.sh. Backs up first, runs the deploy command (no shell unless you name\none: -- sh -c '…'), then watches the compose project's health. A failed command, N consecutive failed\nchecks of any service or smoke check, or a failed verification at the end of the window rolls back at\nonce: through the control plane when it takes the request, locally otherwise. A command still running\nafter --timeout is killed with its whole process group (SIGTERM, SIGKILL 10 s later) and counts as\nfailed; so does one stopped by Ctrl-C, which Rewind passes on to it. Progress goes to stderr; the\ndeploy command keeps the terminal's stdout.",
    options,
    exitCodes: [
      [0, "deployed and healthy through the watch window"],
      [1, "Rewind itself failed before the outcome was known (e.g. Docker stopped answering); the message says what"],
      [2, "bad arguments, or the agent config is missing or invalid"],
      [3, "the deployment failed and was rolled back"],
      [4, "the deployment failed and the rollback did not restore the host"],
      [5, "the backup failed; nothing was deployed"],
    ],
  },
  run,
};

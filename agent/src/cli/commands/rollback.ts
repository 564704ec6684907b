// `rewind rollback`: through the control plane (remote/rollback.ts), or `--local`, the break-glass
// rollback run on the host itself without the control plane. The local form asks for confirmation
// (showing the backup's timestamp and commit) unless --yes or ROLLBACK_CONFIRM=yes, as the seed's
// script does; --dry-run prints the plan and runs only the checks.
import { RewindError } from "../../../../shared/errors.ts";
import { randomId } from "../../../../shared/signing.ts";
import { loadAgentConfig } from "../../config.ts";
import { dockerClient } from "../../host/docker-client.ts";
import type { RollbackProgress } from "../../rollback/executor.ts";
import { planRollback } from "../../rollback/plan.ts";
import type { RollbackReport } from "../../rollback/report.ts";
import type { BackupSelector, RollbackRequest } from "../../rollback/request.ts";
import { resolveForRequest } from "../../rollback/resolve-backup.ts";
import { resumeRollback, runRollback } from "../../rollback/run-rollback.ts";
import { configOption, configPath, parseCommand, usageError } from "../args.ts";
import { exit, hostCommandExit, remoteCommandExit } from "../exit-codes.ts";
import { stepLine } from "../format.ts";
import { rollbackSummary } from "./rollback-summary.ts";
import type { CliIo, Command } from "../io.ts";
import { ask } from "../prompt.ts";
import { remoteRollbackOptions, runRemoteRollback } from "../remote/rollback.ts";

const localOptions = {
  local: { type: "boolean", default: false, description: "roll back on this host directly, without the control plane (break-glass)" },
  ...configOption,
  backup: { type: "string", value: "DIR", description: "the backup directory to return to (default: the newest, as --last)" },
  last: { type: "boolean", default: false, description: "the newest backup (the default)" },
  "dry-run": { type: "boolean", default: false, description: "print the plan and run only the checks; nothing stops or changes" },
  yes: { type: "boolean", short: "y", default: false, description: "do not ask (also ROLLBACK_CONFIRM=yes); needed when stdin is not a terminal" },
  resume: { type: "boolean", default: false, description: "finish (or undo) the rollback a killed agent or CLI left behind" },
  "code-only": { type: "boolean", default: false, description: "restore images and code only; data stays as it is" },
  commit: { type: "string", value: "SHA", description: "with --code-only: return the code to this commit instead of the backup's" },
  reason: { type: "string", value: "TEXT", description: "why, kept in the rollback's journal (default: local break-glass rollback)" },
} as const;

function printReport(io: CliIo, report: RollbackReport): void {
  const { stdout, stderr } = rollbackSummary(report);
  io.stdout.write(stdout);
  if (stderr !== "") io.stderr.write(stderr);
}

async function runLocal(argv: string[], io: CliIo): Promise<number> {
  const { values: args } = parseCommand(localOptions, argv);
  if (args.backup && args.last) throw usageError("give --backup DIR or --last, not both");
  if (args.commit && !args["code-only"]) throw usageError("--commit only goes with --code-only (a full rollback returns to the backup's commit)");
  const config = await loadAgentConfig(configPath(args.config, io.env));
  const controller = new AbortController();
  // Ctrl-C cancels before services stop; after that the engine finishes or undoes.
  const onSigint = (): void => controller.abort();
  process.once("SIGINT", onSigint);
  const ctx = {
    docker: dockerClient(config.docker.timeouts),
    signal: controller.signal,
    onProgress: (e: RollbackProgress) => io.stdout.write(`${stepLine(e)}\n`),
  };
  try {
    if (args.resume) {
      const report = await resumeRollback(config, ctx);
      printReport(io, report);
      return report.state === "succeeded" ? exit.ok : exit.failed;
    }
    const selector: BackupSelector = args.backup ? { kind: "manifest", dir: args.backup } : { kind: "last" };
    const request: RollbackRequest = {
      rollbackId: randomId(),
      backup: selector,
      mode: args["code-only"] ? "code-only" : "full",
      reason: args.reason ?? "local break-glass rollback",
      dryRun: args["dry-run"],
      ...(args.commit ? { commit: args.commit } : {}),
    };
    const plan = planRollback({ mode: request.mode, dryRun: false });
    io.stdout.write(`plan (${request.mode}): ${plan.map((s) => s.id).join(" → ")}\n`);
    if (!args["dry-run"] && !args.yes && io.env.ROLLBACK_CONFIRM !== "yes") {
      const backup = await resolveForRequest(config, request);
      const target = `${config.host} back to backup ${backup.timestamp}, commit ${(request.commit ?? backup.commit).slice(0, 12)} (${backup.branch})`;
      const answer = await ask(io, `Roll ${target}? Type yes to proceed: `);
      if (answer === undefined) {
        throw usageError(`refusing to roll ${target} without confirmation: stdin is not a terminal; pass --yes or set ROLLBACK_CONFIRM=yes`);
      }
      if (answer.toLowerCase() !== "yes") throw new RewindError("CANCELLED", "rollback not confirmed; nothing changed");
    }
    const report = await runRollback(config, request, ctx);
    printReport(io, report);
    return report.state === "succeeded" ? exit.ok : exit.failed;
  } finally {
    process.off("SIGINT", onSigint);
  }
}

export const command: Command = {
  help: {
    usage: [
      "rewind rollback HOST --reason TEXT [--backup ID] [--code-only] [--yes] [--follow] [--json]",
      "rewind rollback --local [--config PATH] [--backup DIR | --last] [--dry-run] [--yes] [--code-only [--commit SHA]] [--reason TEXT]",
      "rewind rollback --local [--config PATH] --resume",
    ],
    description:
      "Rolls a host back to a verified backup: images, container configuration, code, and (unless --code-only)\nthe database and MinIO data; the data it replaces is set aside, never dropped. Through the control\nplane, the host name must be typed to confirm (or --yes), and the host may require a second operator\n(rewind approve). With --local it runs on this host from its agent config, without the control plane.",
    optionsTitle: "options (through the control plane)",
    options: remoteRollbackOptions,
    moreOptions: [{ title: "with --local (on the host itself)", options: localOptions }],
    exitCodes: [
      [0, "requested (with --follow or --local: the rollback succeeded)"],
      [1, "refused or not confirmed; with --follow or --local: the rollback failed or was undone"],
      [2, "bad arguments, CLI settings or agent config; or no terminal to confirm on without --yes"],
      [4, "through the control plane: no such host or backup"],
      [5, "through the control plane: no usable answer (unreachable, token refused, unexpected reply)"],
    ],
  },
  exitCodeFor: (error, argv) => (argv.includes("--local") ? hostCommandExit(error) : remoteCommandExit(error)),
  run: (argv, io) => (argv.includes("--local") ? runLocal(argv, io) : runRemoteRollback(argv, io)),
};

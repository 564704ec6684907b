// `rewind rollback --local`: the break-glass rollback run on the host itself, without the control
// plane. Asks for confirmation (showing the backup's timestamp and commit) unless --yes or
// ROLLBACK_CONFIRM=yes, as the seed's script does; --dry-run prints the plan and runs only the checks.
import { createInterface } from "node:readline/promises";
import { parseArgs } from "node:util";
import Docker from "dockerode";
import { RewindError } from "../../../../shared/errors.ts";
import { randomId } from "../../../../shared/signing.ts";
import { loadAgentConfig } from "../../config.ts";
import type { RollbackProgress } from "../../rollback/executor.ts";
import { planRollback } from "../../rollback/plan.ts";
import type { RollbackReport } from "../../rollback/report.ts";
import type { BackupSelector, RollbackRequest } from "../../rollback/request.ts";
import { resolveForRequest } from "../../rollback/resolve-backup.ts";
import { resumeRollback, runRollback } from "../../rollback/run-rollback.ts";
import type { CliIo, Subcommand } from "../main.ts";

const usage = `usage: rewind rollback --local --config PATH [--backup DIR | --last] [--dry-run] [--yes]
                       [--code-only [--commit SHA]] [--reason TEXT]
       rewind rollback --local --config PATH --resume
`;

function parse(argv: string[]) {
  try {
    return parseArgs({
      args: argv,
      options: {
        local: { type: "boolean", default: false },
        config: { type: "string" },
        backup: { type: "string" },
        last: { type: "boolean", default: false },
        "dry-run": { type: "boolean", default: false },
        yes: { type: "boolean", default: false },
        resume: { type: "boolean", default: false },
        "code-only": { type: "boolean", default: false },
        commit: { type: "string" },
        reason: { type: "string" },
        help: { type: "boolean", default: false },
      },
      strict: true,
    }).values;
  } catch (error) {
    throw new RewindError("BAD_REQUEST", `${(error as Error).message}\n${usage}`);
  }
}

function printProgress(io: CliIo, event: RollbackProgress): void {
  const duration = event.durationMs === undefined ? "" : ` (${(event.durationMs / 1000).toFixed(1)} s)`;
  const message = event.message ? ` ${event.message}` : "";
  io.stdout.write(`[${event.step}] ${event.state}${duration}${message}\n`);
}

function printReport(io: CliIo, report: RollbackReport): void {
  io.stdout.write(`rollback ${report.rollbackId}: ${report.state}\n`);
  if (report.downtimeMs !== undefined) io.stdout.write(`downtime: ${(report.downtimeMs / 1000).toFixed(1)} s\n`);
  if (report.setAside?.database) io.stdout.write(`pre-rollback database kept as ${report.setAside.database}\n`);
  if (report.setAside?.minio) io.stdout.write(`pre-rollback MinIO data kept at ${report.setAside.minio}\n`);
  if (report.undoSetAside?.database) io.stdout.write(`restored database, written to after start, kept as ${report.undoSetAside.database}\n`);
  if (report.undoSetAside?.minio) io.stdout.write(`restored MinIO data, written to after start, kept at ${report.undoSetAside.minio}\n`);
  if (report.degraded && report.degraded.length > 0) io.stdout.write(`degraded while watching: ${report.degraded.join(", ")}\n`);
  if (report.error) io.stderr.write(`rewind: ${report.error.code} in ${report.error.step}: ${report.error.message}\n`);
}

async function confirm(io: CliIo, question: string): Promise<boolean> {
  if (!process.stdin.isTTY) return false;
  const rl = createInterface({ input: process.stdin, output: io.stdout });
  try {
    return (await rl.question(question)).trim().toLowerCase() === "yes";
  } finally {
    rl.close();
  }
}

export const run: Subcommand = async (argv, io) => {
  // Without --local, the operator form: ask the control plane (agent/src/cli/remote/rollback.ts).
  if (!argv.includes("--local")) return (await import("../remote/rollback.ts")).run(argv, io);
  const args = parse(argv);
  if (args.help) {
    io.stdout.write(usage);
    return 0;
  }
  if (!args.config) throw new RewindError("BAD_REQUEST", `--config PATH is required\n${usage}`);
  if (args.backup && args.last) throw new RewindError("BAD_REQUEST", "give --backup DIR or --last, not both");
  if (args.commit && !args["code-only"]) throw new RewindError("BAD_REQUEST", "--commit only goes with --code-only (a full rollback returns to the backup's commit)");
  const config = await loadAgentConfig(args.config);
  const controller = new AbortController();
  // Ctrl-C cancels before services stop; after that the engine finishes or undoes.
  const onSigint = (): void => controller.abort();
  process.once("SIGINT", onSigint);
  const ctx = { docker: new Docker(), signal: controller.signal, onProgress: (e: RollbackProgress) => printProgress(io, e) };
  try {
    if (args.resume) {
      const report = await resumeRollback(config, ctx);
      printReport(io, report);
      return report.state === "succeeded" ? 0 : 1;
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
      const question = `Roll ${config.host} back to backup ${backup.timestamp}, commit ${(request.commit ?? backup.commit).slice(0, 12)} (${backup.branch})? Type yes to proceed: `;
      if (!process.stdin.isTTY) {
        io.stderr.write(`rewind: refusing to roll back without confirmation: stdin is not a terminal; pass --yes or set ROLLBACK_CONFIRM=yes\n  (${question.replace(/ Type yes.*$/, "")})\n`);
        return 2;
      }
      if (!(await confirm(io, question))) {
        io.stderr.write("rewind: rollback not confirmed; nothing changed\n");
        return 1;
      }
    }
    const report = await runRollback(config, request, ctx);
    printReport(io, report);
    return report.state === "succeeded" ? 0 : 1;
  } finally {
    process.off("SIGINT", onSigint);
  }
};

// `rewind audit verify` checks an exported audit log offline and `rewind audit export` downloads one.
// verify exits 0 when the log is valid, 1 when it is not (naming the first bad sequence number),
// and 2 when the input cannot be used (missing files, unreadable keys, bad arguments).
import { parseArgs } from "node:util";
import { verifyAuditExport } from "../../../../shared/audit/verify.ts";
import { isRewindError, RewindError } from "../../../../shared/errors.ts";
import { fetchExport } from "../../audit/fetch-export.ts";
import { loadVerifyInput } from "../../audit/read-export.ts";
import type { CliIo, Subcommand } from "../main.ts";

const usage = `usage:
  rewind audit verify EXPORT --key FILE|URL [--keys AGENT_KEYS_FILE] [--checkpoint FILE]
                      [--checkpoints FILE] [--previous-checkpoint FILE] [--json]
  rewind audit export --url URL [--token TOKEN] --out DIR

verify (offline): EXPORT is an export directory or its audit.ndjson. --key is the control plane's
  JWKS file or its URL (https://…/.well-known/jwks.json). --keys, --checkpoint and --checkpoints
  default to agent-keys.json, checkpoint.txt and checkpoints.ndjson beside the export.
  --previous-checkpoint is an older checkpoint you kept: the log must extend it.
  Exit code: 0 valid, 1 invalid, 2 unusable input.
export: downloads the log, its checkpoints and the public keys with an auditor token
  (--token or REWIND_TOKEN).
`;

function badArgs(message: string): RewindError {
  return new RewindError("BAD_REQUEST", `${message}\n${usage}`);
}

function parse(argv: string[]) {
  try {
    return parseArgs({
      args: argv,
      options: {
        key: { type: "string" },
        keys: { type: "string" },
        checkpoint: { type: "string" },
        checkpoints: { type: "string" },
        "previous-checkpoint": { type: "string" },
        json: { type: "boolean", default: false },
        url: { type: "string" },
        token: { type: "string" },
        out: { type: "string" },
        help: { type: "boolean", default: false },
      },
      strict: true,
      allowPositionals: true,
    });
  } catch (error) {
    throw badArgs((error as Error).message);
  }
}

async function verify(args: ReturnType<typeof parse>, io: CliIo): Promise<number> {
  const [exportPath, ...extra] = args.positionals.slice(1);
  if (exportPath === undefined || extra.length > 0) throw badArgs("verify takes exactly one EXPORT path");
  const { values } = args;
  if (values.key === undefined) throw badArgs("--key is required (the control plane's JWKS file or URL)");
  let result: Awaited<ReturnType<typeof verifyAuditExport>>;
  try {
    const input = await loadVerifyInput({
      export: exportPath,
      key: values.key,
      ...(values.keys === undefined ? {} : { keys: values.keys }),
      ...(values.checkpoint === undefined ? {} : { checkpoint: values.checkpoint }),
      ...(values.checkpoints === undefined ? {} : { checkpoints: values.checkpoints }),
      ...(values["previous-checkpoint"] === undefined ? {} : { previousCheckpoint: values["previous-checkpoint"] }),
    });
    result = await verifyAuditExport(input);
  } catch (error) {
    // An unreadable newest/previous checkpoint is unusable input, not evidence of tampering.
    if (!isRewindError(error) && !(error instanceof TypeError)) throw error;
    io.stderr.write(`rewind audit verify: unusable input: ${error.message}\n`);
    return 2;
  }
  if (values.json) {
    io.stdout.write(`${JSON.stringify(result)}\n`);
  } else if (result.ok) {
    const previous = result.previousCheckpointSize === undefined ? "" : `, extends the kept checkpoint of size ${result.previousCheckpointSize}`;
    io.stdout.write(
      `VALID: ${result.entries} entries, root ${result.root}\n` +
        `  signed checkpoint size ${result.checkpointSize}${previous}; ${result.checkpointsChecked} checkpoint signatures and ${result.agentReports} agent reports verified\n`,
    );
  } else {
    const seq = result.firstBadSeq === undefined ? "" : ` at seq ${result.firstBadSeq}`;
    io.stdout.write(`INVALID${seq} (${result.problem}): ${result.reason}\n  ${result.entries} entries verified before the failure\n`);
  }
  return result.ok ? 0 : 1;
}

async function exportLog(args: ReturnType<typeof parse>, io: CliIo): Promise<number> {
  const { url, out } = args.values;
  const token = args.values.token ?? io.env.REWIND_TOKEN;
  if (url === undefined || out === undefined) throw badArgs("export needs --url and --out");
  if (token === undefined || token === "") throw badArgs("export needs an auditor token: --token or REWIND_TOKEN");
  const summary = await fetchExport(url, token, out);
  io.stdout.write(
    `exported ${summary.entries} entries, ${summary.checkpoints} checkpoints and keys of ${summary.hosts} hosts to ${summary.dir}\n`,
  );
  return 0;
}

export const run: Subcommand = async (argv, io) => {
  const args = parse(argv);
  const action = args.positionals[0];
  if (args.values.help || action === undefined) {
    io.stdout.write(usage);
    return action === undefined && !args.values.help ? 2 : 0;
  }
  if (action === "verify") return verify(args, io);
  if (action === "export") return exportLog(args, io);
  throw badArgs(`unknown audit action '${action}'`);
};

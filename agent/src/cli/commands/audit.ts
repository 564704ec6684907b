// `rewind audit verify` checks an exported audit log offline and `rewind audit export` downloads one.
import { verifyAuditExport } from "../../../../shared/audit/verify.ts";
import { isRewindError } from "../../../../shared/errors.ts";
import { fetchExport } from "../../audit/fetch-export.ts";
import { loadVerifyInput } from "../../audit/read-export.ts";
import { parseCommand, usageError } from "../args.ts";
import { resolveSettings } from "../remote/settings.ts";
import type { CliIo, Command } from "../io.ts";

const verifyOptions = {
  key: { type: "string", value: "FILE|URL", description: "the control plane's JWKS file or URL (https://…/.well-known/jwks.json); required" },
  keys: { type: "string", value: "FILE", description: "the agents' public keys (default: agent-keys.json beside the export)" },
  checkpoint: { type: "string", value: "FILE", description: "the newest signed checkpoint (default: checkpoint.txt beside the export)" },
  checkpoints: { type: "string", value: "FILE", description: "every signed checkpoint (default: checkpoints.ndjson beside the export)" },
  "previous-checkpoint": { type: "string", value: "FILE", description: "an older checkpoint you kept: the log must extend it" },
  json: { type: "boolean", default: false, description: "print the result as JSON" },
} as const;

const exportOptions = {
  out: { type: "string", value: "DIR", description: "where to write the export (required)" },
  url: { type: "string", value: "URL", description: "the control plane's URL (default: $REWIND_URL, else the one `rewind login` stored)" },
  token: {
    type: "string",
    value: "TOKEN",
    description: "an auditor token (default: $REWIND_TOKEN, else the one `rewind login` stored; a flag shows up in ps and shell history)",
  },
  "cli-config": { type: "string", value: "FILE", description: "CLI settings file (default: ~/.config/rewind/cli.json)" },
} as const;

function parse(argv: string[]) {
  return parseCommand({ ...verifyOptions, ...exportOptions }, argv, true);
}

async function verify(args: ReturnType<typeof parse>, io: CliIo): Promise<number> {
  const [exportPath, ...extra] = args.positionals.slice(1);
  if (exportPath === undefined || extra.length > 0) throw usageError("verify takes exactly one EXPORT path");
  const { values } = args;
  if (values.key === undefined) throw usageError("--key is required (the control plane's JWKS file or URL)");
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
    io.stderr.write(`rewind: ${isRewindError(error) ? error.code : "BAD_REQUEST"}: unusable input: ${error.message}\n`);
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
  const { out } = args.values;
  if (out === undefined) throw usageError("export needs --out DIR");
  // The operator commands' settings (flags, REWIND_URL/REWIND_TOKEN, `rewind login`'s file): the token need not be in argv.
  const { url, token } = await resolveSettings({
    flags: { url: args.values.url, token: args.values.token, cliConfig: args.values["cli-config"] },
    env: io.env,
    ...(io.env.HOME === undefined ? {} : { home: io.env.HOME }),
  });
  const summary = await fetchExport(url, token, out);
  io.stdout.write(`exported ${summary.entries} entries, ${summary.checkpoints} checkpoints and keys of ${summary.hosts} hosts to ${summary.dir}\n`);
  return 0;
}

async function run(argv: string[], io: CliIo): Promise<number> {
  const args = parse(argv);
  const action = args.positionals[0];
  if (action === "verify") return verify(args, io);
  if (action === "export") return exportLog(args, io);
  throw usageError(action === undefined ? "name an action: verify or export" : `unknown audit action '${action}': verify or export`);
}

export const command: Command = {
  help: {
    usage: [
      "rewind audit verify EXPORT --key FILE|URL [--keys FILE] [--checkpoint FILE] [--checkpoints FILE] [--previous-checkpoint FILE] [--json]",
      "rewind audit export --out DIR [--url URL] [--token TOKEN]",
    ],
    description:
      "verify (offline) checks an exported audit log: every entry's hash chain and signature, the agents'\nsigned reports, and the signed checkpoints. EXPORT is an export directory or its audit.ndjson.\nexport downloads the log, its checkpoints and the public keys with an auditor token (log in with\none: printf '%s' \"$TOKEN\" | rewind login --url URL).",
    optionsTitle: "verify options",
    options: verifyOptions,
    moreOptions: [{ title: "export options", options: exportOptions }],
    exitCodes: [
      [0, "verify: the log is valid; export: written"],
      [1, "verify: the log is invalid (the first bad sequence number is named); export: refused or unreachable"],
      [2, "bad arguments, CLI settings, or unusable input (missing files, unreadable keys)"],
    ],
  },
  run,
};

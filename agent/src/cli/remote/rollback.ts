// `rewind rollback HOST --reason TEXT`: asks the control plane to roll a host back (the newest
// verified backup, or --backup ID). Asks the operator to type the host name first, unless --yes,
// as the seed's script asks for "yes"; --follow then watches it to the end.
import { createInterface } from "node:readline/promises";
import { RewindError } from "../../../../shared/errors.ts";
import type { CliIo, Subcommand } from "../main.ts";
import { clientFor, commonUsage, parseRemote, positional, printJson } from "./args.ts";
import { watchRollback } from "./follow.ts";
import { accepted } from "./responses.ts";

const usage = `usage: rewind rollback HOST --reason TEXT [--backup ID] [--code-only] [--yes] [--follow] [--json]
       rewind rollback --local ...   (on the host itself, without the control plane: see rewind rollback --local --help)
${commonUsage}
`;

async function typedHostName(io: CliIo, host: string): Promise<string | undefined> {
  if (!process.stdin.isTTY) return undefined;
  const rl = createInterface({ input: process.stdin, output: io.stdout });
  try {
    return (await rl.question(`Roll ${host} back? Its services stop while data and code are restored. Type the host name to confirm: `)).trim();
  } finally {
    rl.close();
  }
}

export const run: Subcommand = async (argv, io) => {
  const { values, positionals } = parseRemote(
    argv,
    {
      reason: { type: "string" },
      backup: { type: "string" },
      "code-only": { type: "boolean", default: false },
      yes: { type: "boolean", short: "y", default: false },
      follow: { type: "boolean", short: "f", default: false },
    },
    usage,
  );
  if (values.help) {
    io.stdout.write(usage);
    return 0;
  }
  const [host = ""] = positional(positionals, 1, usage);
  if (values.reason === undefined || values.reason.trim() === "") throw new RewindError("BAD_REQUEST", `--reason TEXT is required\n${usage}`);
  const client = await clientFor(values, io);
  let confirm = host;
  if (!values.yes) {
    const typed = await typedHostName(io, host);
    if (typed === undefined) {
      throw new RewindError("BAD_REQUEST", "refusing to roll back without confirmation: stdin is not a terminal; pass --yes");
    }
    if (typed !== host) {
      io.stderr.write(`rewind: "${typed}" is not "${host}"; nothing was requested\n`);
      return 1;
    }
    confirm = typed;
  }
  const answer = await client.post("/v1/rollbacks", accepted, {
    host,
    reason: values.reason,
    confirm,
    ...(values.backup === undefined ? {} : { backupId: values.backup }),
    ...(values["code-only"] ? { mode: "code-only" } : {}),
  });
  if (values.json && !values.follow) {
    printJson(io, answer);
    return 0;
  }
  if (!values.json) {
    io.stdout.write(`rollback ${answer.rollbackId} ${answer.state}\n`);
    if (answer.state === "pending-approval") io.stdout.write(`it waits for a second operator: rewind approve ${answer.rollbackId}\n`);
    else if (!values.follow) io.stdout.write(`follow it with: rewind status ${answer.rollbackId} --follow\n`);
  }
  if (!values.follow) return 0;
  return watchRollback(client, answer.rollbackId, io, { follow: true, json: values.json });
};

// `rewind rollback HOST --reason TEXT`: asks the control plane to roll a host back (the newest
// verified backup, or --backup ID). Asks the operator to type the host name first, unless --yes,
// as the seed's script asks for "yes"; --follow then watches it to the end.
import { RewindError } from "../../../../shared/errors.ts";
import { parseCommand, positionals, usageError } from "../args.ts";
import type { CliIo, OptionSpecs } from "../io.ts";
import { ask } from "../prompt.ts";
import { clientFor, printJson, remoteOptions } from "./args.ts";
import { watchRollback } from "./follow.ts";
import { rollbackAccepted } from "../../../../shared/schemas/api.ts";

export const remoteRollbackOptions = {
  reason: { type: "string", value: "TEXT", description: "why (required; kept in the audit log and shown to approvers)" },
  backup: { type: "string", value: "ID", description: "the backup to return to (default: the host's newest verified one; see rewind backups HOST)" },
  "code-only": { type: "boolean", default: false, description: "restore images and code only; the database and MinIO data stay as they are" },
  yes: { type: "boolean", short: "y", default: false, description: "do not ask to type the host name (needed when stdin is not a terminal)" },
  follow: { type: "boolean", short: "f", default: false, description: "watch it to the end, as rewind status --follow (and exit as it does)" },
  ...remoteOptions,
} as const satisfies OptionSpecs;

export async function runRemoteRollback(argv: string[], io: CliIo): Promise<number> {
  const { values, positionals: given } = parseCommand(remoteRollbackOptions, argv, true);
  const [host = ""] = positionals(given, ["HOST"]);
  if (values.reason === undefined || values.reason.trim() === "") throw usageError("--reason TEXT is required");
  const client = await clientFor(values, io);
  let confirm = host;
  if (!values.yes) {
    const typed = await ask(io, `Roll ${host} back? Its services stop while data and code are restored. Type the host name to confirm: `);
    if (typed === undefined) throw usageError("refusing to roll back without confirmation: stdin is not a terminal; pass --yes");
    if (typed !== host) throw new RewindError("CANCELLED", `"${typed}" is not "${host}"; nothing was requested`);
    confirm = typed;
  }
  const answer = await client.post("/v1/rollbacks", rollbackAccepted, {
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
}

// `rewind rollbacks [HOST]`: recent rollbacks, newest first, of every host or of one, so an operator
// finds the id to pass to `rewind status`, `approve` or `cancel` without opening the console.
import { rollbackState } from "../../../../shared/schemas/rollback.ts";
import { numberOption, parseCommand, usageError } from "../args.ts";
import { remoteCommandExit, remoteExitCodes } from "../exit-codes.ts";
import { formatAge, table } from "../format.ts";
import type { Command } from "../io.ts";
import { clientFor, printJson, remoteOptions } from "./args.ts";
import { rollbackList } from "../../../../shared/schemas/api.ts";

const options = {
  state: { type: "string", value: "STATE", description: `only rollbacks in this state: ${rollbackState.options.join(", ")}` },
  limit: { type: "string", value: "N", default: "20", description: "how many to show, newest first (1-500, default 20)" },
  ...remoteOptions,
} as const;

/** Reasons are free text up to 500 characters: the table shows the start of one line. */
function short(text: string, max = 48): string {
  const line = text.replace(/\s+/g, " ").trim();
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}

export function listQuery(host: string | undefined, state: string | undefined, limit: number): string {
  const query = new URLSearchParams({ limit: String(limit) });
  if (host !== undefined) query.set("host", host);
  if (state !== undefined) query.set("state", state);
  return `/v1/rollbacks?${query.toString()}`;
}

export const command: Command = {
  help: {
    usage: ["rewind rollbacks [HOST] [--state STATE] [--limit N] [--json]"],
    description:
      "Lists rollbacks newest first, of every host or only of HOST: id, host, state, mode, age, who asked\nand why. Follow one with `rewind status ID --follow`.",
    options,
    exitCodes: remoteExitCodes,
  },
  exitCodeFor: remoteCommandExit,
  async run(argv, io) {
    const { values, positionals: given } = parseCommand(options, argv, true);
    if (given.length > 1) throw usageError(`expected at most one HOST, got '${given.join(" ")}'`);
    const [host] = given;
    if (host?.trim() === "") throw usageError("HOST is empty");
    const limit = numberOption(values.limit, "limit", 1);
    if (!Number.isInteger(limit) || limit > 500) throw usageError(`--limit must be a whole number from 1 to 500, not '${values.limit}'`);
    if (values.state !== undefined && !rollbackState.safeParse(values.state).success) {
      throw usageError(`--state must be one of ${rollbackState.options.join(", ")}, not '${values.state}'`);
    }
    const { rollbacks } = await (await clientFor(values, io)).get(listQuery(host, values.state, limit), rollbackList);
    if (values.json) {
      printJson(io, { rollbacks });
      return 0;
    }
    if (rollbacks.length === 0) {
      io.stdout.write(`no rollbacks${host === undefined ? "" : ` of ${host}`}${values.state === undefined ? "" : ` in state ${values.state}`}\n`);
      return 0;
    }
    const now = Date.now();
    const rows = rollbacks.map((r) => [r.rollbackId, r.host, r.state, r.mode ?? "full", formatAge(r.createdAt, now), r.requestedBy, short(r.reason)]);
    io.stdout.write(table(["ROLLBACK", "HOST", "STATE", "MODE", "REQUESTED", "BY", "REASON"], rows));
    return 0;
  },
};

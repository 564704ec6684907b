// The shape `rewind approve|cancel|abandon ROLLBACK_ID` share: the connection options and --json, one
// POST to /v1/rollbacks/ID/<action>, and the control plane's answer printed as JSON or as one line.
import type * as z from "zod";
import { parseCommand, positionals } from "../args.ts";
import { remoteCommandExit, remoteExitCodes } from "../exit-codes.ts";
import type { Command, OptionSpecs } from "../io.ts";
import { clientFor, printJson, remoteOptions } from "./args.ts";

type Values<O extends OptionSpecs> = ReturnType<typeof parseCommand<typeof remoteOptions & O>>["values"];

export interface RollbackAction<O extends OptionSpecs, S extends z.core.$ZodType> {
  /** The path's last segment: POST /v1/rollbacks/ID/<action>. */
  action: "approve" | "cancel" | "abandon";
  usage: string;
  description: string;
  /** Options besides the connection ones and --json. */
  options: O;
  answer: S;
  /** The request body from the parsed options (default `{}`); throws a usage error before any request. */
  body?: (values: Values<O>) => unknown;
  /** The line printed without --json. */
  summary: (answer: z.output<S>) => string;
}

export function rollbackActionCommand<O extends OptionSpecs, S extends z.core.$ZodType>(spec: RollbackAction<O, S>): Command {
  const options = { ...remoteOptions, ...spec.options };
  return {
    help: { usage: [spec.usage], description: spec.description, options, exitCodes: remoteExitCodes },
    exitCodeFor: remoteCommandExit,
    async run(argv, io) {
      const { values, positionals: given } = parseCommand(options, argv, true);
      const [id = ""] = positionals(given, ["ROLLBACK_ID"]);
      const body = spec.body?.(values);
      const answer = await (await clientFor(values, io)).post(`/v1/rollbacks/${encodeURIComponent(id)}/${spec.action}`, spec.answer, body);
      // remoteOptions always holds --json (boolean, default false); TypeScript cannot see it through O.
      if ((values as { json: boolean }).json) printJson(io, answer);
      else io.stdout.write(`${spec.summary(answer)}\n`);
      return 0;
    },
  };
}

// `rewind hosts rm HOST` (admin): retires a host. Asks for the host name to be typed first, unless
// --yes, as `rewind rollback` does: the host's key stops working at once.
import { RewindError } from "../../../../shared/errors.ts";
import { hostRetired } from "../../../../shared/schemas/api.ts";
import { parseCommand, positionals, usageError } from "../args.ts";
import { remoteCommandExit, remoteExitCodes } from "../exit-codes.ts";
import type { Command } from "../io.ts";
import { ask } from "../prompt.ts";
import { clientFor, printJson, remoteOptions } from "./args.ts";

const options = {
  ...remoteOptions,
  yes: { type: "boolean", short: "y", default: false, description: "do not ask to type the host name (needed when stdin is not a terminal)" },
} as const;

export const command: Command = {
  help: {
    usage: ["rewind hosts rm HOST [--yes] [--json]"],
    description:
      "Retires a host (admin token): its agent's key stops working at once (its socket is closed, connects are\nrefused), its rollback requests waiting for approval and its unacknowledged commands are cancelled, and\nit leaves `rewind hosts`. Refused while one of its rollbacks is queued or running. Its rollbacks and\naudit entries stay; the name can be enrolled again only with a new enrollment.",
    options,
    exitCodes: remoteExitCodes,
  },
  exitCodeFor: remoteCommandExit,
  async run(argv, io) {
    const { values, positionals: given } = parseCommand(options, argv, true);
    const [host = ""] = positionals(given, ["HOST"]);
    const client = await clientFor(values, io);
    if (!values.yes) {
      const typed = await ask(io, `Retire ${host}? Its agent is disconnected and can no longer connect. Type the host name to confirm: `);
      if (typed === undefined) throw usageError("refusing to retire a host without confirmation: stdin is not a terminal; pass --yes");
      if (typed !== host) throw new RewindError("CANCELLED", `"${typed}" is not "${host}"; nothing was retired`);
    }
    const answer = await client.delete(`/v1/hosts/${encodeURIComponent(host)}`, hostRetired);
    if (values.json) {
      printJson(io, answer);
      return 0;
    }
    const { cancelledRollbacks: rollbacks, cancelledCommands: commands } = answer;
    io.stdout.write(`host ${answer.host} retired; cancelled ${rollbacks.length} rollback request(s) and ${commands.length} command(s)\n`);
    return 0;
  },
};

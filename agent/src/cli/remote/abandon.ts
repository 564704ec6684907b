// `rewind abandon ID --reason TEXT` (admin): gives up on a running rollback whose agent is gone, so
// the host takes rollbacks again; the rollback becomes `lost` and the host's state is unknown.
import { parseCommand, positionals, usageError } from "../args.ts";
import { remoteCommandExit, remoteExitCodes } from "../exit-codes.ts";
import type { Command } from "../io.ts";
import { clientFor, printJson, remoteOptions } from "./args.ts";
import { abandonAnswer } from "../../../../shared/schemas/api.ts";

const options = {
  ...remoteOptions,
  reason: { type: "string", value: "TEXT", description: "why, for the audit log and the notification (required)" },
} as const;

export const command: Command = {
  help: {
    usage: ["rewind abandon ROLLBACK_ID --reason TEXT [--json]"],
    description:
      "Gives up on a running rollback whose agent stopped answering (admin token): it becomes lost, is audited\nand notified, and the host takes rollbacks again. Check what the host runs before rolling it back again.\nA running rollback with no word from its agent becomes lost by itself after its deadline.",
    options,
    exitCodes: remoteExitCodes,
  },
  exitCodeFor: remoteCommandExit,
  async run(argv, io) {
    const { values, positionals: given } = parseCommand(options, argv, true);
    const [id = ""] = positionals(given, ["ROLLBACK_ID"]);
    const reason = values.reason?.trim();
    if (reason === undefined || reason === "") throw usageError("--reason TEXT is required: say why the rollback is abandoned");
    const answer = await (await clientFor(values, io)).post(`/v1/rollbacks/${encodeURIComponent(id)}/abandon`, abandonAnswer, { reason });
    if (values.json) printJson(io, answer);
    else io.stdout.write(`rollback ${answer.rollbackId} ${answer.state}: the host takes rollbacks again; check its state first\n`);
    return 0;
  },
};

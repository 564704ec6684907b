// `rewind cancel ID`: stops a rollback that has not stopped services yet (refused after, with why).
import { parseCommand, positionals } from "../args.ts";
import { remoteCommandExit, remoteExitCodes } from "../exit-codes.ts";
import type { Command } from "../io.ts";
import { clientFor, printJson, remoteOptions } from "./args.ts";
import { cancelAnswer } from "../../../../shared/schemas/api.ts";

const options = { ...remoteOptions } as const;

export const command: Command = {
  help: {
    usage: ["rewind cancel ROLLBACK_ID [--json]"],
    description:
      "Cancels a rollback that has not stopped services yet: at once while it waits for approval or for its\nhost, else the agent stops before stop-services. Refused once services are down (the rollback then\nfinishes, or undoes itself).",
    options,
    exitCodes: remoteExitCodes,
  },
  exitCodeFor: remoteCommandExit,
  async run(argv, io) {
    const { values, positionals: given } = parseCommand(options, argv, true);
    const [id = ""] = positionals(given, ["ROLLBACK_ID"]);
    const answer = await (await clientFor(values, io)).post(`/v1/rollbacks/${encodeURIComponent(id)}/cancel`, cancelAnswer);
    if (values.json) printJson(io, answer);
    else if (answer.state === "cancelled") io.stdout.write(`rollback ${answer.rollbackId} cancelled\n`);
    else io.stdout.write(`rollback ${answer.rollbackId}: cancel sent to the agent; follow it with: rewind status ${answer.rollbackId} --follow\n`);
    return 0;
  },
};

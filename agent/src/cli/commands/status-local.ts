// `rewind status --local`: on the host itself, what it keeps from its rollbacks (kept-for-undo.ts):
// set-aside data copies and image holds, each with its age and when retention may remove it.
import { loadAgentConfig } from "../../config.ts";
import { dockerClient } from "../../host/docker-client.ts";
import { keptForUndo } from "../../rollback/kept-for-undo.ts";
import { configOption, configPath, parseCommand } from "../args.ts";
import { exit } from "../exit-codes.ts";
import type { CliIo, OptionSpecs } from "../io.ts";
import { keptSummary } from "./kept-summary.ts";

export const localStatusOptions = {
  local: { type: "boolean", default: false, description: "on this host: the data copies and image holds it keeps for an undo" },
  ...configOption,
  json: { type: "boolean", default: false, description: "print what is kept as JSON, for scripts" },
} as const satisfies OptionSpecs;

export async function runLocalStatus(argv: string[], io: CliIo): Promise<number> {
  const { values } = parseCommand(localStatusOptions, argv);
  const config = await loadAgentConfig(configPath(values.config, io.env));
  const view = await keptForUndo(config, dockerClient(config.docker.timeouts));
  if (values.json) io.stdout.write(`${JSON.stringify(view)}\n`);
  else {
    const { stdout, stderr } = keptSummary(view, Date.now());
    io.stdout.write(stdout);
    io.stderr.write(stderr);
  }
  return view.unreadable.length === 0 ? exit.ok : exit.failed;
}

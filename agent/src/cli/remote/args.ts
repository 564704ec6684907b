// Argument parsing shared by the operator commands: each one's own options plus --url, --token,
// --cli-config and --json; a usage error is BAD_REQUEST (exit 2) with the command's usage.
import { type ParseArgsConfig, parseArgs } from "node:util";
import { RewindError } from "../../../../shared/errors.ts";
import type { CliIo } from "../main.ts";
import { ApiClient } from "./client.ts";
import { resolveSettings } from "./settings.ts";

const common = {
  url: { type: "string" },
  token: { type: "string" },
  "cli-config": { type: "string" },
  json: { type: "boolean", default: false },
  help: { type: "boolean", short: "h", default: false },
} as const satisfies ParseArgsConfig["options"];

export const commonUsage = `connection: --url URL --token TOKEN (or REWIND_URL / REWIND_TOKEN, or --cli-config FILE,
            default ~/.config/rewind/cli.json holding { "url": ..., "token": ... }); --json for scripts`;

export function parseRemote<O extends NonNullable<ParseArgsConfig["options"]>>(argv: string[], options: O, usage: string) {
  try {
    return parseArgs({ args: argv, options: { ...common, ...options }, allowPositionals: true, strict: true });
  } catch (error) {
    throw new RewindError("BAD_REQUEST", `${(error as Error).message}\n${usage}`);
  }
}

export function positional(positionals: string[], count: number, usage: string): string[] {
  if (positionals.length !== count) {
    throw new RewindError("BAD_REQUEST", `expected ${count} argument${count === 1 ? "" : "s"}, got ${positionals.length}\n${usage}`);
  }
  return positionals;
}

export async function clientFor(
  values: { url?: string | undefined; token?: string | undefined; "cli-config"?: string | undefined },
  io: CliIo,
): Promise<ApiClient> {
  const settings = await resolveSettings({
    flags: { url: values.url, token: values.token, cliConfig: values["cli-config"] },
    env: io.env,
    ...(io.env.HOME === undefined ? {} : { home: io.env.HOME }),
  });
  return new ApiClient(settings);
}

export function printJson(io: CliIo, value: unknown): void {
  io.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

// What the operator commands share: the connection options (--url, --token, --cli-config), --json,
// and the API client made from them. Settings come from flags, then REWIND_URL / REWIND_TOKEN, then
// the file `rewind login` writes (settings.ts).
import type { CliIo, OptionSpecs } from "../io.ts";
import { ApiClient } from "../../api-client.ts";
import { resolveSettings } from "./settings.ts";

export const remoteOptions = {
  json: { type: "boolean", default: false, description: "print the control plane's answer as JSON, for scripts" },
  url: { type: "string", value: "URL", description: "control plane URL (default: $REWIND_URL, else the one `rewind login` stored)" },
  token: {
    type: "string",
    value: "TOKEN",
    description: "API token (default: $REWIND_TOKEN, else the one `rewind login` stored; a flag shows up in ps and shell history)",
  },
  "cli-config": { type: "string", value: "FILE", description: "CLI settings file (default: ~/.config/rewind/cli.json)" },
} as const satisfies OptionSpecs;

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

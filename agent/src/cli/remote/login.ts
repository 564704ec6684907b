// `rewind login --url URL`: checks an API token against the control plane (GET /v1/me) and stores
// the URL and the token in ~/.config/rewind/cli.json (0600, in a 0700 directory). The token is read
// from stdin, typed without echo or piped, so it never appears in argv, `ps` or the shell history.
import { chmod, mkdir } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { writeFileDurably } from "../../host/durable-file.ts";
import { parseCommand, positionals, usageError } from "../args.ts";
import { remoteCommandExit, remoteExitCodes } from "../exit-codes.ts";
import type { Command } from "../io.ts";
import { readSecret } from "../prompt.ts";
import { me } from "../../../../shared/schemas/api.ts";
import { ApiClient } from "../../api-client.ts";
import { defaultConfigFile, field, token as tokenSchema, url as urlSchema } from "./settings.ts";

const options = {
  url: { type: "string", value: "URL", description: "the control plane's URL, e.g. https://rewind.example.com (required)" },
  "cli-config": { type: "string", value: "FILE", description: "where to store the settings (default: ~/.config/rewind/cli.json)" },
} as const;

export const command: Command = {
  help: {
    usage: ["rewind login --url URL          (then type or paste the token)", "printf '%s' \"$TOKEN\" | rewind login --url URL"],
    description:
      "Reads an API token from stdin (typed without echo on a terminal, or piped), checks it against the\ncontrol plane, and stores the URL and the token for the operator commands. They use them when no\n--url/--token flag and no REWIND_URL/REWIND_TOKEN variable is given. The file is written mode 0600\nin a 0700 directory; log in again to replace it.",
    options,
    exitCodes: remoteExitCodes,
  },
  exitCodeFor: remoteCommandExit,
  async run(argv, io) {
    const { values, positionals: given } = parseCommand(options, argv, true);
    positionals(given, []);
    if (values.url === undefined) throw usageError("--url URL is required");
    const url = field(urlSchema, values.url, "--url");
    const raw = await readSecret(io, `API token for ${url}: `);
    if (raw === "") throw usageError("no token on stdin: type it at the prompt, or pipe it in");
    const token = field(tokenSchema, raw, "the token read from stdin");
    const who = await new ApiClient({ url, token }).get("/v1/me", me);
    const home = io.env.HOME ?? os.homedir();
    const file = path.resolve(values["cli-config"] ?? defaultConfigFile(home));
    await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
    // Our own directory is tightened even when it existed; a directory named with --cli-config is not ours.
    if (values["cli-config"] === undefined) await chmod(path.dirname(file), 0o700);
    await writeFileDurably(file, `${JSON.stringify({ url, token }, null, 2)}\n`, 0o600);
    await chmod(file, 0o600);
    io.stdout.write(`logged in to ${url} as token ${who.tokenId} (${who.role}); settings stored in ${file}\n`);
    return 0;
  },
};

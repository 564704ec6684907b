// `rewind agent enroll`: makes this host's Ed25519 key pair, registers the public half with a
// one-time enrollment token, and writes the agent config (mode 0600) with the control plane's
// public keys pinned. Fingerprints are printed so the operator can compare them out of band.
import { mkdir, readFile } from "node:fs/promises";
import path from "node:path";
import * as z from "zod";
import { isRewindError, RewindError } from "../../../../shared/errors.ts";
import { generateSigningKey, keyFingerprint, type PublicJwk, publicJwk } from "../../../../shared/signing.ts";
import { writeFileDurably } from "../../host/durable-file.ts";
import { parseAgentConfig } from "../../config.ts";
import { agentVersion } from "../../version.ts";
import { configOption, configPath, parseCommand, usageError } from "../args.ts";
import type { CliIo, Command } from "../io.ts";
import { requireSafeEnrollUrl, secretFrom } from "../secret-source.ts";
import { ApiClient } from "../../api-client.ts";

const options = {
  url: { type: "string", value: "URL", description: "the control plane's URL (required)" },
  token: {
    type: "string",
    value: "TOKEN",
    description: "one-time enrollment token (POST /v1/enrollments or the console makes one; it is void once used)",
  },
  "token-file": {
    type: "string",
    value: "PATH",
    description: "read the enrollment token from this file, or from stdin with '-' (keeps it out of argv and shell history)",
  },
  host: { type: "string", value: "NAME", description: "this host's name, as the token was issued for (required)" },
  ...configOption,
  "state-dir": { type: "string", value: "DIR", description: "where the agent keeps its journal and backups (default: state/ beside the config)" },
  "project-dir": { type: "string", value: "DIR", description: "the Compose project's checkout (default: the current directory)" },
  project: { type: "string", value: "NAME", description: "the Compose project name (default: the project directory's name)" },
} as const;

const enrollResponse = z.object({
  host: z.string(),
  controlPlaneKeys: z.union([z.object({ keys: z.array(publicJwk).min(1) }), z.array(publicJwk).min(1)]),
  fingerprint: z.string().optional(),
});

async function readExisting(file: string): Promise<Record<string, unknown>> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return {};
    throw new RewindError("CONFIG_INVALID", `cannot read ${file}: ${(error as Error).message}`, { cause: error });
  }
  try {
    const raw: unknown = JSON.parse(text);
    if (typeof raw === "object" && raw !== null && !Array.isArray(raw)) return raw as Record<string, unknown>;
  } catch (error) {
    throw new RewindError("CONFIG_INVALID", `${file} is not valid JSON: ${(error as Error).message}`, { cause: error });
  }
  throw new RewindError("CONFIG_INVALID", `${file} must hold a JSON object`);
}

async function register(url: string, body: Record<string, unknown>): Promise<{ host: string; keys: PublicJwk[]; fingerprint?: string }> {
  let answer: z.output<typeof enrollResponse>;
  try {
    answer = await new ApiClient({ url }).post("/v1/agents/enroll", enrollResponse, body);
  } catch (error) {
    if (isRewindError(error) && ["UNAUTHORIZED", "FORBIDDEN", "ENROLLMENT_INVALID", "EXPIRED"].includes(error.code)) {
      throw new RewindError(
        "ENROLLMENT_INVALID",
        `the control plane refused the enrollment (${error.code}: ${error.message}); the token may be used, expired, for another host, awaiting approval, or not allowed to replace an enrolled host's key: ask an operator`,
        { cause: error },
      );
    }
    throw error;
  }
  const keys = Array.isArray(answer.controlPlaneKeys) ? answer.controlPlaneKeys : answer.controlPlaneKeys.keys;
  return { host: answer.host, keys, ...(answer.fingerprint === undefined ? {} : { fingerprint: answer.fingerprint }) };
}

async function run(argv: string[], io: CliIo): Promise<number> {
  const { values } = parseCommand(options, argv);
  const { url, host } = values;
  const token = await secretFrom(io, { inline: values.token, file: values["token-file"] }, { inline: "--token", file: "--token-file" }, "enrollment token: ");
  const missing = Object.entries({ "--url": url, "--token or --token-file": token, "--host": host }).filter(([, value]) => value === undefined);
  if (url === undefined || token === undefined || host === undefined) throw usageError(`missing ${missing.map(([name]) => name).join(", ")}`);
  requireSafeEnrollUrl(url);
  const file = path.resolve(configPath(values.config, io.env));
  const existing = await readExisting(file);
  const existingProject = typeof existing.project === "object" && existing.project !== null ? (existing.project as Record<string, unknown>) : {};
  const projectDir = path.resolve(values["project-dir"] ?? (typeof existingProject.dir === "string" ? existingProject.dir : process.cwd()));
  const stateDir = path.resolve(values["state-dir"] ?? (typeof existing.stateDir === "string" ? existing.stateDir : path.join(path.dirname(file), "state")));

  const key = await generateSigningKey();
  const ownFingerprint = await keyFingerprint(key.publicJwk);
  const registered = await register(url, { token, host, publicJwk: key.publicJwk, agentVersion });
  if (registered.host !== host) {
    throw new RewindError("ENROLLMENT_INVALID", `the control plane enrolled host '${registered.host}', not '${host}'`);
  }
  if (registered.fingerprint !== undefined && registered.fingerprint !== ownFingerprint) {
    throw new RewindError("ENROLLMENT_INVALID", `the control plane recorded key ${registered.fingerprint}, not this host's ${ownFingerprint}`);
  }

  const raw = {
    ...existing,
    host,
    controlPlane: { url, keys: registered.keys },
    agentKey: key.privateJwk,
    stateDir,
    project: {
      ...existingProject,
      name: values.project ?? (typeof existingProject.name === "string" ? existingProject.name : path.basename(projectDir)),
      dir: projectDir,
    },
  };
  // Validate before writing: a config the agent cannot load must never reach the disk.
  parseAgentConfig(raw, file, path.dirname(file));
  await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  await mkdir(stateDir, { recursive: true, mode: 0o700 });
  await writeFileDurably(file, `${JSON.stringify(raw, null, 2)}\n`, 0o600);

  io.stdout.write(`enrolled host ${host} with ${url}\n`);
  io.stdout.write(`agent key fingerprint:        ${ownFingerprint}\n`);
  for (const pinned of registered.keys) {
    io.stdout.write(`pinned control plane key:     ${await keyFingerprint(pinned)}${pinned.kid === undefined ? "" : ` (kid ${pinned.kid})`}\n`);
  }
  io.stdout.write(`config written to ${file} (mode 0600); compare the pinned fingerprints with the operator's\n`);
  return 0;
}

export const command: Command = {
  help: {
    usage: [
      "rewind agent enroll --url URL (--token TOKEN | --token-file PATH|-) --host NAME [--config PATH] [--state-dir DIR] [--project-dir DIR] [--project NAME]",
    ],
    description:
      "Creates this host's Ed25519 key pair, registers its public half with the control plane using a one-time\nenrollment token, and writes the agent config (mode 0600) with the control plane's public keys pinned.\nThe URL must be https:// (plain http:// only to this machine). An existing config keeps its other settings; its host, control plane and key are replaced. Compare the\nprinted fingerprints with the ones the operator sees.",
    options,
    exitCodes: [
      [0, "enrolled; the config is written"],
      [1, "refused (token used, expired or for another host) or the control plane is unreachable"],
      [2, "bad arguments, or the resulting config would be invalid"],
    ],
  },
  run,
};

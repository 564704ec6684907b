// `rewind agent enroll`: makes this host's Ed25519 key pair, registers the public half with a
// one-time enrollment token, and writes the agent config (mode 0600) with the control plane's
// public keys pinned. Fingerprints are printed so the operator can compare them out of band.
import { mkdir, readFile } from "node:fs/promises";
import path from "node:path";
import { parseArgs } from "node:util";
import * as z from "zod";
import { RewindError } from "../../../../shared/errors.ts";
import { describeIssues } from "../../../../shared/schemas/zod-error.ts";
import { generateSigningKey, keyFingerprint, type PublicJwk, publicJwk } from "../../../../shared/signing.ts";
import { writeFileAtomic } from "../../channel/atomic-file.ts";
import { parseAgentConfig } from "../../config.ts";
import { agentVersion } from "../../version.ts";
import type { Subcommand } from "../main.ts";

const usage = `usage: rewind agent enroll --url URL --token TOKEN --host NAME --config PATH
                           [--state-dir DIR] [--project-dir DIR] [--project NAME]

Creates this host's key pair, registers it with the control plane using a one-time enrollment
token (POST /v1/enrollments on the control plane makes one), and writes the agent config.
An existing config file keeps its other settings; its host, control plane and key are replaced.
Exit codes: 0 enrolled, 1 refused or unreachable, 2 bad arguments.
`;

const enrollResponse = z.object({
  host: z.string(),
  controlPlaneKeys: z.union([z.object({ keys: z.array(publicJwk).min(1) }), z.array(publicJwk).min(1)]),
  fingerprint: z.string().optional(),
});

const errorBody = z.object({ error: z.object({ code: z.string(), message: z.string() }) });

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
  const endpoint = `${url.replace(/\/+$/, "")}/v1/agents/enroll`;
  let response: Response;
  try {
    response = await fetch(endpoint, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(30_000),
    });
  } catch (error) {
    throw new RewindError("UNAVAILABLE", `cannot reach the control plane at ${endpoint}: ${(error as Error).message}`, {
      cause: error,
      retryable: true,
    });
  }
  const text = await response.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  if (!response.ok) {
    const parsed = errorBody.safeParse(json);
    const detail = parsed.success ? `${parsed.data.error.code}: ${parsed.data.error.message}` : text.slice(0, 300);
    if (response.status === 401 || response.status === 403) {
      throw new RewindError(
        "ENROLLMENT_INVALID",
        `the control plane refused the enrollment (${response.status} ${detail}); the token may be used, expired, for another host, awaiting approval, or not allowed to replace an enrolled host's key: ask an operator`,
      );
    }
    throw new RewindError(response.status === 400 ? "BAD_REQUEST" : "UNAVAILABLE", `enrollment failed with HTTP ${response.status}: ${detail}`);
  }
  const parsed = enrollResponse.safeParse(json);
  if (!parsed.success) {
    throw new RewindError("MALFORMED", `unexpected enrollment response: ${describeIssues(parsed.error)}`);
  }
  const keys = Array.isArray(parsed.data.controlPlaneKeys) ? parsed.data.controlPlaneKeys : parsed.data.controlPlaneKeys.keys;
  return { host: parsed.data.host, keys, ...(parsed.data.fingerprint === undefined ? {} : { fingerprint: parsed.data.fingerprint }) };
}

export const run: Subcommand = async (argv, io) => {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        url: { type: "string" },
        token: { type: "string" },
        host: { type: "string" },
        config: { type: "string" },
        "state-dir": { type: "string" },
        "project-dir": { type: "string" },
        project: { type: "string" },
        help: { type: "boolean", short: "h" },
      },
      strict: true,
    }));
  } catch (error) {
    io.stderr.write(`rewind agent enroll: ${(error as Error).message}\n\n${usage}`);
    return 2;
  }
  if (values.help === true) {
    io.stdout.write(usage);
    return 0;
  }
  const str = (name: string): string | undefined => (typeof values[name] === "string" ? (values[name] as string) : undefined);
  const url = str("url");
  const token = str("token");
  const host = str("host");
  const configPath = str("config");
  const missing = [
    ["--url", url],
    ["--token", token],
    ["--host", host],
    ["--config", configPath],
  ].filter(([, v]) => v === undefined);
  if (url === undefined || token === undefined || host === undefined || configPath === undefined) {
    io.stderr.write(`rewind agent enroll: missing ${missing.map(([n]) => n).join(", ")}\n\n${usage}`);
    return 2;
  }
  const file = path.resolve(configPath);
  const existing = await readExisting(file);
  const existingProject =
    typeof existing.project === "object" && existing.project !== null ? (existing.project as Record<string, unknown>) : {};
  const projectDir = path.resolve(str("project-dir") ?? (typeof existingProject.dir === "string" ? existingProject.dir : process.cwd()));
  const stateDir = path.resolve(str("state-dir") ?? (typeof existing.stateDir === "string" ? existing.stateDir : path.join(path.dirname(file), "state")));

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
      name: str("project") ?? (typeof existingProject.name === "string" ? existingProject.name : path.basename(projectDir)),
      dir: projectDir,
    },
  };
  // Validate before writing: a config the agent cannot load must never reach the disk.
  parseAgentConfig(raw, file, path.dirname(file));
  await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  await mkdir(stateDir, { recursive: true, mode: 0o700 });
  await writeFileAtomic(file, `${JSON.stringify(raw, null, 2)}\n`, 0o600);

  io.stdout.write(`enrolled host ${host} with ${url}\n`);
  io.stdout.write(`agent key fingerprint:        ${ownFingerprint}\n`);
  for (const pinned of registered.keys) {
    io.stdout.write(`pinned control plane key:     ${await keyFingerprint(pinned)}${pinned.kid === undefined ? "" : ` (kid ${pinned.kid})`}\n`);
  }
  io.stdout.write(`config written to ${file} (mode 0600); compare the pinned fingerprints with the operator's\n`);
  return 0;
};

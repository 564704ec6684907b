// Where the operator CLI finds the control plane and its token: flags first, then REWIND_URL /
// REWIND_TOKEN, then a config file (--cli-config, or ~/.config/rewind/cli.json, which `rewind login`
// writes). Each field is validated where it came from, so the message says which flag, variable or
// file to fix.
import { readFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import * as z from "zod";
import { RewindError } from "../../../../shared/errors.ts";
import { describeIssues } from "../../../../shared/schemas/zod-error.ts";

export interface RemoteSettings {
  url: string;
  token: string;
}

export interface SettingsSources {
  flags: { url?: string | undefined; token?: string | undefined; cliConfig?: string | undefined };
  env: NodeJS.ProcessEnv;
  /** Home directory for the default config file (tests point it elsewhere). */
  home?: string;
}

export const url = z.url({ protocol: /^https?$/, error: "must be an http:// or https:// URL" }).transform((value) => value.replace(/\/+$/, ""));
export const token = z.string().trim().min(8, "must be a Rewind API token (at least 8 characters)");
const fileSchema = z.strictObject({ url: z.string().optional(), token: z.string().optional() });

/** `value` parsed with `schema`, or CONFIG_INVALID naming `where` it came from. */
export function field(schema: z.ZodType<string>, value: string, where: string): string {
  const result = schema.safeParse(value);
  if (!result.success) {
    throw new RewindError("CONFIG_INVALID", `${where} ${result.error.issues[0]?.message ?? "is invalid"}`, { details: { field: where } });
  }
  return result.data;
}

async function readConfigFile(file: string, explicit: boolean): Promise<{ url?: string | undefined; token?: string | undefined }> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    if (!explicit && (error as NodeJS.ErrnoException).code === "ENOENT") return {};
    throw new RewindError("CONFIG_INVALID", `cannot read the CLI config ${file}: ${(error as Error).message}`, { details: { field: file } });
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new RewindError("CONFIG_INVALID", `${file} is not valid JSON: ${(error as Error).message}`, { details: { field: file } });
  }
  const parsed = fileSchema.safeParse(raw);
  if (!parsed.success) {
    throw new RewindError("CONFIG_INVALID", `${file}: ${describeIssues(parsed.error)} (expected { "url": "...", "token": "..." })`, {
      details: { field: file },
    });
  }
  return parsed.data;
}

export function defaultConfigFile(home: string): string {
  return path.join(home, ".config", "rewind", "cli.json");
}

export async function resolveSettings(sources: SettingsSources): Promise<RemoteSettings> {
  const explicit = sources.flags.cliConfig !== undefined;
  const file = sources.flags.cliConfig ?? defaultConfigFile(sources.home ?? os.homedir());
  const fromFile = await readConfigFile(file, explicit);
  const pick = (flag: string | undefined, name: string, envName: string, fileValue: string | undefined) => {
    if (flag !== undefined) return { value: flag, where: `--${name}` };
    const fromEnv = sources.env[envName];
    if (fromEnv !== undefined && fromEnv !== "") return { value: fromEnv, where: envName };
    if (fileValue !== undefined) return { value: fileValue, where: `"${name}" in ${file}` };
    return undefined;
  };
  const chosenUrl = pick(sources.flags.url, "url", "REWIND_URL", fromFile.url);
  const chosenToken = pick(sources.flags.token, "token", "REWIND_TOKEN", fromFile.token);
  if (chosenUrl === undefined) {
    throw new RewindError("CONFIG_INVALID", `no control plane URL: run \`rewind login --url URL\` (stores it in ${file}), or pass --url, or set REWIND_URL`, {
      details: { field: "url" },
    });
  }
  if (chosenToken === undefined) {
    throw new RewindError("CONFIG_INVALID", `no API token: run \`rewind login --url URL\` (stores it in ${file}), or set REWIND_TOKEN, or pass --token`, {
      details: { field: "token" },
    });
  }
  return { url: field(url, chosenUrl.value, chosenUrl.where), token: field(token, chosenToken.value, chosenToken.where) };
}

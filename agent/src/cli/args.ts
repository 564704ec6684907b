// Argument parsing every subcommand shares: node:util parseArgs over the command's own option specs
// (the same specs --help prints), usage errors that main.ts answers with a pointer to --help, and the
// default agent config path of every host command.
import { parseArgs } from "node:util";
import { RewindError } from "../../../shared/errors.ts";
import type { OptionSpecs } from "./io.ts";

export const defaultConfigPath = "/etc/rewind/agent.json";

/** The agent config option of every host command (agent run/enroll, backup, deploy, rollback --local). */
export const configOption = {
  config: { type: "string", value: "PATH", description: `agent config (default: $REWIND_CONFIG, else ${defaultConfigPath})` },
} as const satisfies OptionSpecs;

/** A usage error: exit code 2, printed with a pointer to the command's --help. */
export function usageError(message: string): RewindError {
  return new RewindError("BAD_REQUEST", message, { details: { usage: true } });
}

export function isUsageError(error: RewindError): boolean {
  return error.code === "BAD_REQUEST" && error.details?.usage === true;
}

export function parseCommand<O extends OptionSpecs>(options: O, argv: string[], allowPositionals = false) {
  try {
    return parseArgs({ args: argv, options, strict: true, allowPositionals });
  } catch (error) {
    const unknown = /^Unknown option '([^']*)'/.exec((error as Error).message)?.[1];
    if (unknown === undefined) throw usageError((error as Error).message);
    // node's own hint quotes badly and names only the first letter of `-9frW…`: a rollback id that
    // starts with '-' (ids issued before they never did) is what the hint is for.
    const arg = unknown.startsWith("--") ? unknown : (argv.find((a) => a.startsWith(unknown)) ?? unknown);
    const hint = allowPositionals && !arg.startsWith("--") ? ` (an argument that starts with '-' goes after '--': -- ${arg})` : "";
    throw usageError(`unknown option '${arg}'${hint}`);
  }
}

/** Exactly `count` positional arguments, named in the error when they are missing. */
export function positionals(given: string[], names: string[]): string[] {
  if (given.length !== names.length) {
    const expected = names.length === 0 ? "no arguments" : names.join(" ");
    throw usageError(`expected ${expected}, got ${given.length === 0 ? "none" : `'${given.join(" ")}'`}`);
  }
  // An empty HOST or ROLLBACK_ID (an unset shell variable) would ask the API for the wrong path.
  const empty = given.findIndex((value) => value.trim() === "");
  if (empty >= 0) throw usageError(`${names[empty]} is empty`);
  return given;
}

/** --config, else $REWIND_CONFIG, else /etc/rewind/agent.json. */
export function configPath(flag: string | undefined, env: NodeJS.ProcessEnv): string {
  if (flag !== undefined) return flag;
  const fromEnv = env.REWIND_CONFIG;
  return fromEnv !== undefined && fromEnv !== "" ? fromEnv : defaultConfigPath;
}

/** A number option: finite and at least `min`, else a usage error naming the option. */
export function numberOption(raw: string, name: string, min: number): number {
  const value = Number(raw);
  if (raw.trim() === "" || !Number.isFinite(value) || value < min) throw usageError(`--${name} must be a number ≥ ${min}, not '${raw}'`);
  return value;
}

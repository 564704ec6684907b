// What every `rewind` subcommand is given and returns, and how it describes itself for --help.
// main.ts and the subcommands both import from here (never from each other), so no import circle.
import type { ParseArgsConfig } from "node:util";
import type { RewindError } from "../../../shared/errors.ts";

export interface CliIo {
  stdin: NodeJS.ReadableStream & { isTTY?: boolean | undefined };
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  env: NodeJS.ProcessEnv;
}

/** A node:util parseArgs option plus what --help says about it. */
export type OptionSpec = NonNullable<ParseArgsConfig["options"]>[string] & {
  /** The value's placeholder in help (`--config PATH`); string options only. */
  value?: string;
  description: string;
};

export type OptionSpecs = Record<string, OptionSpec>;

export interface CommandHelp {
  /** Usage lines without the leading "usage: ". */
  usage: string[];
  /** What the command does, in a few lines. */
  description: string;
  options: OptionSpecs;
  /** The heading of `options` when the command has more than one form (default "options"). */
  optionsTitle?: string;
  /** Options of another form of the command (`rollback --local`, `audit export`), under their own title. */
  moreOptions?: { title: string; options: OptionSpecs }[];
  /** Exit codes and their meaning; every command documents its own. */
  exitCodes: [number, string][];
  /** Extra text printed last (examples, environment). */
  notes?: string;
}

export interface Command {
  help: CommandHelp;
  /** Takes its own argv (after the command words) and returns the exit code. */
  run(argv: string[], io: CliIo): Promise<number>;
  /** The exit code for an error the command threw with these arguments (default: hostCommandExit). */
  exitCodeFor?(error: RewindError, argv: string[]): number;
}

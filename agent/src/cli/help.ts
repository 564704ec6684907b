// --help text, built from the same option specs the parser uses, so no option goes undescribed.
import type { CommandHelp, OptionSpecs } from "./io.ts";

function optionRows(options: OptionSpecs): [string, string][] {
  return Object.entries(options).map(([name, spec]) => {
    const short = spec.short === undefined ? "    " : `-${spec.short}, `;
    const value = spec.type === "string" ? ` ${spec.value ?? "VALUE"}` : "";
    return [`${short}--${name}${value}`, spec.description];
  });
}

function aligned(rows: [string, string][], indent = "  "): string {
  const width = Math.min(30, Math.max(...rows.map(([left]) => left.length)));
  return rows
    .map(([left, right]) => (left.length > width ? `${indent}${left}\n${indent}${" ".repeat(width + 2)}${right}` : `${indent}${left.padEnd(width)}  ${right}`))
    .join("\n");
}

export function renderHelp(help: CommandHelp): string {
  const [first = "", ...more] = help.usage;
  const sections = [[`usage: ${first}`, ...more.map((line) => `       ${line}`)].join("\n"), help.description.trimEnd()];
  const groups = [{ title: help.optionsTitle ?? "options", options: help.options }, ...(help.moreOptions ?? [])];
  for (const group of groups) {
    const rows = optionRows(group.options);
    if (group === groups[0]) rows.push(["-h, --help", "show this help"]);
    if (rows.length > 0) sections.push(`${group.title}:\n${aligned(rows)}`);
  }
  sections.push(`exit codes:\n${aligned(help.exitCodes.map(([code, meaning]) => [String(code), meaning]))}`);
  if (help.notes !== undefined) sections.push(help.notes.trimEnd());
  return `${sections.join("\n\n")}\n`;
}

export interface CommandSummary {
  name: string;
  summary: string;
}

export function renderOverview(groups: { title: string; commands: CommandSummary[] }[], version: string): string {
  const width = Math.max(...groups.flatMap((group) => group.commands.map((command) => command.name.length)));
  const blocks = groups.map(
    (group) => `${group.title}:\n${group.commands.map((command) => `  rewind ${command.name.padEnd(width)}  ${command.summary}`).join("\n")}`,
  );
  return [
    `rewind ${version}: remote, audited rollback for Docker Compose hosts`,
    "usage: rewind <command> [options]",
    ...blocks,
    "rewind help <command> or rewind <command> --help describes a command, its options and exit codes.\nrewind --version prints the version.",
  ]
    .join("\n\n")
    .concat("\n");
}

/** `rewind help agent`: the commands that start with that word, each with its summary. */
export function renderFamily(family: string, commands: CommandSummary[]): string {
  const width = Math.max(...commands.map((command) => command.name.length));
  return [
    `usage: rewind ${family} <${commands.map((command) => command.name.slice(family.length + 1)).join("|")}> [options]`,
    commands.map((command) => `  rewind ${command.name.padEnd(width)}  ${command.summary}`).join("\n"),
    `rewind help ${family} <command> or rewind ${family} <command> --help describes one, its options and exit codes.`,
  ]
    .join("\n\n")
    .concat("\n");
}

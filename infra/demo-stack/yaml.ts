// A small YAML writer for the compose files the demo stack renders (no YAML library is a dependency):
// block mappings, flow sequences of scalars, and every string double-quoted, so no value is ever
// read back as another type (`"on"`, `"1"`, `"3001:3001"` stay strings).

export type YamlScalar = string | number | boolean;
export type YamlValue = YamlScalar | YamlScalar[] | YamlMap;
export interface YamlMap {
  [key: string]: YamlValue;
}

function scalar(value: YamlScalar): string {
  // A JSON string is a valid YAML double-quoted scalar with the same meaning.
  return typeof value === "string" ? JSON.stringify(value) : String(value);
}

const plainKey = /^[A-Za-z_][A-Za-z0-9_.-]*$/;
const reservedKeys = new Set(["true", "false", "null", "yes", "no", "on", "off", "y", "n"]);

function key(name: string): string {
  return plainKey.test(name) && !reservedKeys.has(name.toLowerCase()) ? name : JSON.stringify(name);
}

function lines(map: YamlMap, depth: number, spacedDepth: number): string[] {
  const indent = "  ".repeat(depth);
  const out: string[] = [];
  let previousSpan = 1;
  for (const [name, value] of Object.entries(map)) {
    const entry: string[] = [];
    if (Array.isArray(value)) entry.push(`${indent}${key(name)}: [${value.map(scalar).join(", ")}]`);
    else if (typeof value !== "object") entry.push(`${indent}${key(name)}: ${scalar(value)}`);
    else if (Object.keys(value).length === 0) entry.push(`${indent}${key(name)}: {}`);
    else entry.push(`${indent}${key(name)}:`, ...lines(value, depth + 1, spacedDepth));
    // Blank lines set off the blocks of a shallow mapping (services, top-level sections), not one-liners.
    if (depth < spacedDepth && out.length > 0 && (entry.length > 1 || previousSpan > 1)) out.push("");
    out.push(...entry);
    previousSpan = entry.length;
  }
  return out;
}

/** The document as YAML; block entries nested less than `spacedDepth` deep are set off by a blank line. */
export function renderYaml(document: YamlMap, spacedDepth = 0): string {
  return `${lines(document, 0, spacedDepth).join("\n")}\n`;
}

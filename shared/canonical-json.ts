// Deterministic JSON (sorted object keys, no whitespace) so that the same entry always hashes to
// the same bytes on the control plane, in the CLI and in any auditor's own tool. Values are limited
// to JSON's own types; undefined object members are dropped as JSON.stringify drops them.

export function canonicalJson(value: unknown): string {
  if (value === null || typeof value === "boolean" || typeof value === "string") return JSON.stringify(value);
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw new TypeError(`canonicalJson: non-finite number ${value}`);
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) return `[${value.map((item) => canonicalJson(item)).join(",")}]`;
  if (typeof value === "object") {
    const members = Object.keys(value as Record<string, unknown>)
      .filter((key) => (value as Record<string, unknown>)[key] !== undefined)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${canonicalJson((value as Record<string, unknown>)[key])}`);
    return `{${members.join(",")}}`;
  }
  throw new TypeError(`canonicalJson: unsupported value of type ${typeof value}`);
}

/** Are every object's keys, at every depth, in canonical (sorted) order? */
function keysSorted(value: unknown): boolean {
  if (typeof value !== "object" || value === null) return true;
  if (Array.isArray(value)) return value.every(keysSorted);
  let previous: string | undefined;
  for (const key in value) {
    if (previous !== undefined && !(previous < key)) return false;
    previous = key;
    if (!keysSorted((value as Record<string, unknown>)[key])) return false;
  }
  return true;
}

/**
 * Is `text` exactly `canonicalJson(value)`, for `value` = JSON.parse(text)? The native
 * JSON.stringify settles most lines without building the canonical form: it writes keys in the
 * object's own order, so with every level's keys sorted it is the canonical form. The rest (keys
 * like "10" that JavaScript orders numerically, or a line that is not canonical) take the full way.
 */
export function isCanonicalJsonText(value: unknown, text: string): boolean {
  if (JSON.stringify(value) === text && keysSorted(value)) return true;
  return canonicalJson(value) === text;
}

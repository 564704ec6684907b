// Reading the facts the policy needs out of free-form alert labels and annotations: which Rewind
// host, which environment, which measured value. Pure string work, no vendor specifics.
import { hostName } from "../../../shared/schemas/common.ts";

type Labels = Readonly<Record<string, string>>;

/** Label names that may name the host, most explicit first. */
const hostLabels = ["rewind_host", "host", "instance"] as const;

/**
 * Rewind host names are single DNS labels, but `instance` is usually "fqdn:port" or a URL
 * (blackbox probes), so the scheme, port and path are dropped and an FQDN yields its first label;
 * an IP address yields nothing.
 */
export function hostFromLabels(labels: Labels): string | null {
  for (const name of hostLabels) {
    const raw = labels[name];
    if (raw === undefined || raw.trim() === "") continue;
    const candidate = toHostName(raw);
    if (candidate !== null) return candidate;
  }
  return null;
}

function toHostName(raw: string): string | null {
  const withoutScheme = raw
    .trim()
    .toLowerCase()
    .replace(/^[a-z][a-z0-9+.-]*:\/\//, "");
  const authority = withoutScheme.split(/[/?#]/, 1)[0] ?? "";
  const bare = authority.replace(/:\d+$/, "");
  // An IP address names no Rewind host; its first "label" would be a misleading number.
  if (/^[0-9.]+$/.test(bare) || bare.includes("[")) return null;
  if (hostName.safeParse(bare).success) return bare;
  const firstLabel = bare.split(".", 1)[0] ?? "";
  return hostName.safeParse(firstLabel).success ? firstLabel : null;
}

export function environmentFromLabels(labels: Labels): string | undefined {
  const value = labels.environment ?? labels.env;
  return value === undefined || value.trim() === "" ? undefined : value.trim().toLowerCase();
}

export function severityFromLabels(labels: Labels): string | undefined {
  const value = labels.severity;
  return value === undefined || value.trim() === "" ? undefined : value.trim().toLowerCase();
}

/** "0.142", "14.2%", " 17 " → number; anything else → undefined (never NaN). */
export function parseNumber(raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const text = raw.trim().replace(/%$/, "");
  if (text === "") return undefined;
  const value = Number(text);
  return Number.isFinite(value) ? value : undefined;
}

export function parseCount(raw: string | undefined): number | undefined {
  const value = parseNumber(raw);
  return value !== undefined && Number.isInteger(value) && value >= 0 ? value : undefined;
}

/** The first `value=` in Grafana's valueString, e.g. "[ var='B' labels={} value=17.5 ]". */
export function valueFromValueString(valueString: string | undefined): number | undefined {
  const match = valueString?.match(/value=(-?[0-9.eE+-]+)/);
  return parseNumber(match?.[1]);
}

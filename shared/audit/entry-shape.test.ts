// The verifier trusts isAuditEntryShape's yes in place of the schema's: over valid entries and entries
// broken in every field, both must give the same verdict, and a value both accept must be what the
// schema outputs (the verifier then uses the parsed JSON as the entry).
import { describe, expect, it } from "vitest";
import { auditEntry, roles } from "../schemas/audit.ts";
import { isAuditEntryShape } from "./entry-shape.ts";

type Json = Record<string, unknown>;

const bases: Json[] = [
  ...roles.map((role, seq) => ({
    seq,
    time: "2026-01-01T00:00:00.000Z",
    actor: { kind: "token", tokenId: "op-token-1", role },
    action: "command.queued",
    subject: "command:cmd1",
    details: { host: "web-1", action: { type: "ping" } },
  })),
  {
    seq: 99,
    time: "2026-12-03T09:00:00+01:00",
    actor: { kind: "host", host: "web-1" },
    action: "agent.report",
    subject: "command:abc",
    details: { kind: "result" },
    agentJws: "a.b.c",
  },
  { seq: 0, time: "2024-02-29T23:59:59.123456Z", actor: { kind: "system" }, action: "token.created", subject: "t", details: {} },
];

// Values that break (or, for some fields, happen to fit) a field, including JSON's edge numbers.
const odd: unknown[] = [null, true, false, 0, -1, 1.5, 1e300, 2 ** 53, 2 ** 53 - 1, "", "x", "2026-01-01T00:00:00Z", [], [1], {}, { a: 1 }, "a.b"];
const times = [
  "2026-01-01T00:00:00Z",
  "2026-01-01T00:00:00.5Z",
  "2026-01-01T00:00:00+23:59",
  "2026-01-01T00:00:00-00:00",
  "2026-01-01T00:00Z",
  "2026-01-01T00:00:00z",
  "2026-01-01 00:00:00Z",
  "2026-01-01T00:00:00",
  "2026-01-01T24:00:00Z",
  "2026-02-29T00:00:00Z",
  "2000-02-29T00:00:00Z",
  "1900-02-29T00:00:00Z",
  "2026-04-31T00:00:00Z",
  "2026-01-01T00:00:60Z",
  "2026-01-01T00:00:00+24:00",
  "2026-01-01T00:00:00.Z",
  "2026-01-01T00:00:00Z\n",
  "+002026-01-01T00:00:00Z",
];
const actions = ["a.b", "a", "A.b", "a.B", "a.b.", "a..b", ".a.b", "a-b.c-d", "1a.b", "a.1b", "a.b-", "a.b\n", "a.b.c.d", "a_b.c", "ä.b"];
const hosts = ["web-1", "a", "-a", "a-", "A", "a_b", "", "a".repeat(63), "a".repeat(64), "1", "web-1\n"];
const actors: unknown[] = [
  { kind: "system", extra: 1 },
  { kind: "token", tokenId: "", role: "admin" },
  { kind: "token", tokenId: "t", role: "root" },
  { kind: "token", tokenId: "t", role: "Admin" },
  { kind: "token", tokenId: "t" },
  { kind: "token", role: "admin" },
  { kind: "token", tokenId: 1, role: "admin" },
  { kind: "token", tokenId: "t", role: "admin", host: "web-1" },
  { kind: "host" },
  { kind: "host", host: "web-1", tokenId: "t" },
  { kind: "agent", host: "web-1" },
  { kind: 1 },
  { host: "web-1" },
  ...hosts.map((host) => ({ kind: "host", host })),
  ...odd,
];

function variants(base: Json): unknown[] {
  const out: unknown[] = [base];
  for (const key of [...Object.keys(base), "agentJws"]) {
    const { [key]: _dropped, ...rest } = base;
    out.push(rest);
    for (const value of odd) out.push({ ...base, [key]: value });
  }
  out.push({ ...base, extra: 1 }, { ...base, details: { nested: [1, { a: null }], "": "" } });
  for (const time of times) out.push({ ...base, time });
  for (const action of actions) out.push({ ...base, action });
  for (const actor of actors) out.push({ ...base, actor });
  return out;
}

// As the verifier sees them: parsed from JSON text (so `-0` and a `__proto__` key are really there).
const corpus: unknown[] = [
  ...bases.flatMap(variants).map((value) => JSON.parse(JSON.stringify(value)) as unknown),
  ...bases.flatMap((base) => {
    const text = JSON.stringify(base);
    return [
      text.replace('"seq":', '"__proto__":{},"seq":'),
      text.replace(/"details":\{(.)/, (_, next: string) => `"details":{"__proto__":{"x":1}${next === "}" ? "" : ","}${next}`),
      text.replace(/"seq":\d+/, '"seq":-0'),
      text.replace(/"seq":\d+/, '"seq":1.0'),
      text.replace('"kind":', '"__proto__":1,"kind":'),
      text.replace('"subject":', '"seq":1,"subject":'),
    ].map((json) => JSON.parse(json) as unknown);
  }),
  null,
  [],
  "entry",
  7,
];

/**
 * zod's copy of a record leaves out a `__proto__` member that JSON.parse keeps as an own key: the
 * verifier, which reads only `details.report`, `reportId` and `kind`, sees the same either way.
 */
function withoutProtoMember(value: Json): Json {
  const details = value.details as Json;
  if (!Object.hasOwn(details, protoKey)) return value;
  const { [protoKey]: _dropped, ...rest } = details;
  return { ...value, details: rest };
}
const protoKey = "__proto__";

describe("the audit entry's quick shape check", () => {
  it("gives the schema's verdict on valid entries and on entries broken in every field", () => {
    let accepted = 0;
    for (const value of corpus) {
      const parsed = auditEntry.safeParse(value);
      expect(isAuditEntryShape(value), JSON.stringify(value)).toBe(parsed.success);
      if (parsed.success) {
        accepted += 1;
        expect(parsed.data).toStrictEqual(withoutProtoMember(value as Json));
      }
    }
    // Both verdicts occur often enough for the comparison to mean something.
    expect(accepted).toBeGreaterThan(100);
    expect(corpus.length - accepted).toBeGreaterThan(300);
  });
});

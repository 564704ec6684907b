// A quick yes for the shape of an audit entry, for `rewind audit verify`: zod's parse of an entry
// cost ~1 µs of the verifier's ~6.5 µs per entry (issue 15), this check a small fraction of that.
// The schema stays the judge: this says yes only to what `auditEntry` accepts (entry-shape.test.ts
// holds both verdicts equal over valid and broken entries), and a value it does not say yes to is
// parsed by the schema, which accepts it or names what is wrong.
import { auditActionPattern, type AuditEntry, roles } from "../schemas/audit.ts";
import { hostName, isoTime } from "../schemas/common.ts";

const entryKeys = new Set(["seq", "time", "actor", "action", "subject", "details", "agentJws"]);
const roleNames = new Set<string>(roles);
/** The very pattern the ISO time schema tests (it checks nothing else). */
const timePattern = isoTime._zod.pattern;

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function countKeys(value: Record<string, unknown>): number {
  let count = 0;
  for (const _ in value) count += 1;
  return count;
}

/** Each actor kind is a strict object: its kind and exactly its own fields. */
function isActor(actor: unknown): boolean {
  if (!isObject(actor)) return false;
  switch (actor.kind) {
    case "token":
      return typeof actor.tokenId === "string" && actor.tokenId !== "" && typeof actor.role === "string" && roleNames.has(actor.role) && countKeys(actor) === 3;
    case "host":
      return typeof actor.host === "string" && hostName.safeParse(actor.host).success && countKeys(actor) === 2;
    case "system":
      return countKeys(actor) === 1;
    default:
      return false;
  }
}

/** Does the JSON value (as JSON.parse returns it) certainly pass `auditEntry`, unchanged? */
export function isAuditEntryShape(value: unknown): value is AuditEntry {
  if (!isObject(value)) return false;
  for (const key in value) if (!entryKeys.has(key)) return false;
  const { seq, time, action, subject, details, agentJws } = value;
  return (
    typeof seq === "number" &&
    Number.isSafeInteger(seq) &&
    seq >= 0 &&
    typeof time === "string" &&
    timePattern.test(time) &&
    isActor(value.actor) &&
    typeof action === "string" &&
    auditActionPattern.test(action) &&
    typeof subject === "string" &&
    subject !== "" &&
    isObject(details) &&
    (agentJws === undefined || typeof agentJws === "string")
  );
}

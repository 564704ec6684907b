import { describe, expect, it } from "vitest";
import { canonicalJson } from "../../../shared/canonical-json.ts";
import type { AuditEntry } from "../../../shared/schemas/audit.ts";
import { hostKeyHistory } from "./key-history.ts";

const key = (x: string) => ({ kty: "OKP" as const, crv: "Ed25519" as const, x });

function enrolled(seq: number, host: string, publicJwk?: unknown): string {
  const entry: AuditEntry = {
    seq,
    time: "2026-11-25T10:00:00.000Z",
    actor: { kind: "host", host },
    action: "enrollment.completed",
    subject: `host:${host}`,
    details: { fingerprint: "f", ...(publicJwk === undefined ? {} : { publicJwk }) },
  };
  return canonicalJson(entry);
}

describe("host key history for the audit export", () => {
  it("keeps every key a host enrolled, oldest first, plus its current one, each once", () => {
    const hosts = hostKeyHistory(
      [enrolled(0, "web-1", key("old")), enrolled(5, "web-1", key("new")), enrolled(7, "db-1", key("db"))],
      [
        { name: "web-1", publicJwk: key("new") },
        { name: "db-1", publicJwk: key("db") },
      ],
    );
    expect(hosts).toEqual({ "web-1": [key("old"), key("new")], "db-1": [key("db")] });
  });

  it("falls back to the hosts table for enrollments logged without their key", () => {
    expect(hostKeyHistory([enrolled(0, "web-1")], [{ name: "web-1", publicJwk: key("now") }])).toEqual({ "web-1": [key("now")] });
  });
});

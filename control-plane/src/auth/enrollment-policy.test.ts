import { describe, expect, it } from "vitest";
import { decideApproval, decideMint, type PendingEnrollment, usableFor } from "./enrollment-policy.ts";

describe("decideMint", () => {
  it("lets enroll, operator and admin enroll a host name nobody enrolled", () => {
    for (const role of ["enroll", "operator", "admin"] as const) expect(decideMint(role, "web-1", undefined)).toEqual({ kind: "new" });
  });

  it("keeps re-enrollment from an enroll token, and from an operator alone on a host without approvals", () => {
    expect(decideMint("enroll", "web-1", { requireApproval: true })).toMatchObject({ kind: "refuse", code: "FORBIDDEN" });
    expect(decideMint("operator", "web-1", { requireApproval: false })).toMatchObject({ kind: "refuse", code: "FORBIDDEN" });
  });

  it("lets an admin re-enroll at once, and an operator pending a second approver when the host requires approvals", () => {
    expect(decideMint("admin", "web-1", { requireApproval: false })).toEqual({ kind: "reenroll", needsApproval: false });
    expect(decideMint("operator", "web-1", { requireApproval: true })).toEqual({ kind: "reenroll", needsApproval: true });
  });
});

describe("decideApproval and usableFor", () => {
  const pending: PendingEnrollment = {
    host: "web-1",
    createdBy: "tok-alice",
    reenroll: true,
    needsApproval: true,
    approvedBy: null,
    usedAt: null,
    expiresAt: 2_000,
  };

  it("needs a second operator, once, before expiry", () => {
    expect(decideApproval(pending, "tok-bob", 1_000)).toEqual({ kind: "approve" });
    expect(decideApproval(pending, "tok-alice", 1_000)).toMatchObject({ kind: "refuse", code: "FORBIDDEN" });
    expect(decideApproval({ ...pending, approvedBy: "tok-carol" }, "tok-bob", 1_000)).toMatchObject({ kind: "refuse", code: "CONFLICT" });
    expect(decideApproval(pending, "tok-bob", 2_000)).toMatchObject({ kind: "refuse", code: "CONFLICT" });
    expect(decideApproval({ ...pending, reenroll: false, needsApproval: false }, "tok-bob", 1_000)).toMatchObject({ kind: "refuse" });
  });

  it("refuses a new-host token on an enrolled host and an unapproved re-enrollment", () => {
    expect(usableFor({ reenroll: false, needsApproval: false, approvedBy: null }, false)).toBeUndefined();
    expect(usableFor({ reenroll: false, needsApproval: false, approvedBy: null }, true)).toContain("may only enroll a new host");
    expect(usableFor(pending, true)).toContain("awaits a second operator's approval");
    expect(usableFor({ ...pending, approvedBy: "tok-bob" }, true)).toBeUndefined();
  });
});

import { describe, expect, it } from "vitest";
import { foldedEntry, judgeRefusal } from "./refusals.ts";

describe("unauthenticated refusals", () => {
  it("writes the first of a kind each minute and limits an address or host name past its budget", () => {
    expect(judgeRefusal({ sameAddress: 0, sameHost: 0, sameAction: 0 })).toEqual({ limited: false, writeNow: true });
    expect(judgeRefusal({ sameAddress: 19, sameHost: 3, sameAction: 40 })).toEqual({ limited: false, writeNow: false });
    expect(judgeRefusal({ sameAddress: 20, sameHost: 0, sameAction: 20 }).limited).toBe(true);
    expect(judgeRefusal({ sameAddress: 0, sameHost: 20, sameAction: 20 }).limited).toBe(true);
  });

  it("folds the rest of a minute into one entry naming the busiest addresses and hosts", () => {
    const rows = [
      { address: "203.0.113.7", host: "a", count: 5 },
      { address: "203.0.113.7", host: "b", count: 2 },
      { address: "198.51.100.1", host: "b", count: 1 },
    ];
    expect(foldedEntry("enrollment.refused", 29_000_000, rows)).toEqual({
      actor: { kind: "system" },
      action: "enrollment.refused",
      subject: "refusals",
      details: {
        folded: true,
        count: 7,
        from: new Date(29_000_000 * 60_000).toISOString(),
        to: new Date(29_000_001 * 60_000).toISOString(),
        addresses: [
          { name: "203.0.113.7", count: 7 },
          { name: "198.51.100.1", count: 1 },
        ],
        hosts: [
          { name: "a", count: 5 },
          { name: "b", count: 3 },
        ],
      },
    });
    expect(foldedEntry("enrollment.refused", 1, [{ address: "x", host: "a", count: 1 }])).toBeUndefined();
  });
});

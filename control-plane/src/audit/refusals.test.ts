import { describe, expect, it } from "vitest";
import { addressBucket, foldedEntry, judgeRefusal } from "./refusals.ts";

describe("unauthenticated refusals", () => {
  it("writes the first of a kind each minute and limits an address or host name past its budget", () => {
    expect(judgeRefusal({ sameAddress: 0, sameHost: 0, sameAction: 0 })).toEqual({ limited: false, writeNow: true });
    expect(judgeRefusal({ sameAddress: 19, sameHost: 3, sameAction: 40 })).toEqual({ limited: false, writeNow: false });
    expect(judgeRefusal({ sameAddress: 20, sameHost: 0, sameAction: 20 }).limited).toBe(true);
    expect(judgeRefusal({ sameAddress: 0, sameHost: 20, sameAction: 20 }).limited).toBe(true);
  });

  it("counts an IPv6 client by its /64, an IPv4 one by its address", () => {
    expect(addressBucket("2001:db8:1:2:aaaa:bbbb:cccc:dddd")).toBe("2001:db8:1:2::/64");
    expect(addressBucket("2001:DB8:1:2::7")).toBe("2001:db8:1:2::/64");
    expect(addressBucket("2001:0db8:0001:0002::")).toBe("2001:db8:1:2::/64");
    expect(addressBucket("::1")).toBe("0:0:0:0::/64");
    expect(addressBucket("fe80::1:2:3:4")).toBe("fe80:0:0:0::/64");
    expect(addressBucket("::ffff:203.0.113.7")).toBe("203.0.113.7");
    expect(addressBucket("203.0.113.7")).toBe("203.0.113.7");
    // Not an IPv6 address: counted as given.
    for (const odd of ["1::2::3", "1:2:3:4:5:6:7:8:9", "1:2:3", "g::1", "unknown"]) expect(addressBucket(odd)).toBe(odd);
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

import { describe, expect, it } from "vitest";
import { formatAge, formatDuration, stepLine, table } from "./format.ts";

describe("CLI output", () => {
  it("prints a line per step with a mark, state and duration, for local and remote progress alike", () => {
    expect(stepLine({ step: "preflight", state: "succeeded", durationMs: 1234, message: "disk ok" })).toBe("✓ preflight       succeeded 1.2 s     disk ok");
    expect(stepLine({ step: "stage", state: "running" }, 1)).toBe("⠙ stage           running");
    expect(stepLine({ step: "swap", state: "failed", durationMs: 80 })).toBe("✗ swap            failed    80 ms");
  });

  it("aligns tables and formats durations", () => {
    expect(
      table(
        ["NAME", "STATUS"],
        [
          ["web-1", "online"],
          ["db", "offline"],
        ],
      ),
    ).toBe("NAME   STATUS\nweb-1  online\ndb     offline\n");
    expect(formatDuration(undefined)).toBe("");
    expect(formatDuration(999)).toBe("999 ms");
    expect(formatDuration(65_000)).toBe("1 min 05 s");
  });

  it("shows times as ages", () => {
    const now = Date.parse("2026-12-03T12:00:00.000Z");
    const ago = (ms: number) => formatAge(new Date(now - ms).toISOString(), now);
    expect(formatAge(null, now)).toBe("never");
    expect(formatAge(undefined, now)).toBe("never");
    expect(ago(400)).toBe("just now");
    expect(ago(-20_000)).toBe("just now");
    expect(ago(42_000)).toBe("42 s ago");
    expect(ago(2 * 60_000 + 59_000)).toBe("2 min ago");
    expect(ago(5 * 3_600_000)).toBe("5 h ago");
    expect(ago(47 * 3_600_000)).toBe("47 h ago");
    expect(ago(3 * 86_400_000 + 5)).toBe("3 days ago");
    expect(formatAge("2026-12-03T13:00:00.000Z", now)).toBe("in the future (2026-12-03T13:00:00.000Z)");
    expect(formatAge("not a time", now)).toBe("not a time");
  });
});

import { describe, expect, it } from "vitest";
import { parseAgentConfig } from "./config.ts";

const base = { host: "web-1", stateDir: "/var/lib/rewind", project: { name: "schedgen", dir: "/srv/app" } };

describe("retention settings", () => {
  it("default to 5 backups, 3 rollbacks' set-aside copies, and a 7-day minimum age for them", () => {
    expect(parseAgentConfig(base, "agent.json", "/").retention).toEqual({ backups: 5, setAside: 3, setAsideMinAgeDays: 7 });
  });

  it("refuse setAside: 0 at start-up, naming the field and why", () => {
    expect(() => parseAgentConfig({ ...base, retention: { setAside: 0 } }, "agent.json", "/")).toThrow(
      expect.objectContaining({
        code: "CONFIG_INVALID",
        message: expect.stringMatching(/retention\.setAside.*must be at least 1: set-aside copies are the only copy/),
      }),
    );
  });

  it("refuse a minimum age that is not positive", () => {
    expect(() => parseAgentConfig({ ...base, retention: { setAsideMinAgeDays: 0 } }, "agent.json", "/")).toThrow(
      expect.objectContaining({ code: "CONFIG_INVALID", message: expect.stringContaining("retention.setAsideMinAgeDays") }),
    );
  });
});

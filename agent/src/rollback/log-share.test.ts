import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { parseAgentConfig } from "../config.ts";
import { logSharingOf, shareLog } from "./log-share.ts";

const log = "start\nGET /login?password=hunter2 200\nAuthorization: Bearer sk_live_abc123\nready\n";
const sha = createHash("sha256").update(log).digest("hex");
const base = { host: "web-1", stateDir: "/var/lib/rewind", project: { name: "app", dir: "/srv/app" } };

describe("what of a container log leaves the host", () => {
  it("by default only its sha256, size and where the host keeps it", () => {
    const shared = shareLog(log, { mode: "digest" }, "/var/lib/rewind/rollbacks/r1/logs-before/app-backend-1.log");
    expect(shared).toBe(`sha256 ${sha}, ${Buffer.byteLength(log)} bytes, kept on the host at /var/lib/rewind/rollbacks/r1/logs-before/app-backend-1.log`);
    expect(shared).not.toContain("hunter2");
  });

  it("when the operator opts in, the last lines with every pattern redacted", () => {
    const shared = shareLog(log, { mode: "redacted", patterns: ["password=[^ &]+", "Bearer \\S+"], lines: 2 }, "/x.log");
    expect(shared).toBe(
      `sha256 ${sha}, ${Buffer.byteLength(log)} bytes, kept on the host at /x.log; last 2 lines, redacted:\nAuthorization: [redacted]\nready`,
    );
  });

  it("is configured in the agent config, digest by default, and refuses a bad or empty redaction", () => {
    expect(logSharingOf(parseAgentConfig(base, "agent.json", "/"))).toEqual({ mode: "digest" });
    const redacted = parseAgentConfig({ ...base, reports: { logs: "redacted", redact: ["token=\\w+"] } }, "agent.json", "/");
    expect(logSharingOf(redacted)).toEqual({ mode: "redacted", patterns: ["token=\\w+"], lines: 20 });
    expect(() => parseAgentConfig({ ...base, reports: { logs: "redacted", redact: ["(unclosed"] } }, "agent.json", "/")).toThrow(/valid regular expression/);
    expect(() => parseAgentConfig({ ...base, reports: { logs: "redacted", redact: [] } }, "agent.json", "/")).toThrow(/at least one pattern/);
    expect(() => parseAgentConfig({ ...base, reports: { logs: "all" } }, "agent.json", "/")).toThrow(/CONFIG_INVALID|reports/);
  });
});

import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { createLogger, formatPretty } from "./log.ts";

function capture(): { stream: Writable; lines: string[] } {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(chunk.toString("utf8"));
      done();
    },
  });
  return { stream, lines };
}

describe("agent log", () => {
  it("writes JSON lines and never the agent key or tokens", () => {
    const { stream, lines } = capture();
    const log = createLogger({ destination: stream, base: { host: "web-1" } });
    log.info({ agentKey: { d: "SECRET-D" }, token: "SECRET-TOKEN", config: { agentKey: { d: "SECRET-D2" } } }, "started");
    const entry = JSON.parse(lines[0] ?? "") as Record<string, unknown>;
    expect(entry).toMatchObject({ msg: "started", host: "web-1", level: 30, agentKey: "[redacted]", token: "[redacted]" });
    expect(lines.join("")).not.toMatch(/SECRET/);
  });

  it("prints a readable line per event in pretty mode", () => {
    const { stream, lines } = capture();
    createLogger({ destination: stream, format: "pretty" }).warn({ code: "REPLAYED" }, "command rejected");
    expect(lines[0]).toMatch(/^\d\d:\d\d:\d\d\.\d{3} WARN {2}command rejected code=REPLAYED\n$/);
  });

  it("passes a line that is not JSON through unchanged", () => {
    expect(formatPretty("plain text")).toBe("plain text\n");
  });
});

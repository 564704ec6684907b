import { describe, expect, it } from "vitest";
import { maxFrameBytes } from "../../../shared/schemas/frames.ts";
import { readUpFrame } from "./read-frame.ts";

describe("reading agent frames", () => {
  it("accepts heartbeats and reports", () => {
    expect(readUpFrame(JSON.stringify({ t: "heartbeat", ts: 1 }))).toEqual({ ok: true, frame: { t: "heartbeat", ts: 1 } });
    expect(readUpFrame(JSON.stringify({ t: "report", jws: "a.b.c" }))).toMatchObject({ ok: true, frame: { t: "report" } });
  });

  it("refuses an oversized frame by its UTF-8 size, before parsing", () => {
    const justOver = "é".repeat(Math.ceil(maxFrameBytes / 2) + 1);
    expect(readUpFrame(justOver)).toMatchObject({ ok: false, code: "PAYLOAD_TOO_LARGE" });
    expect(readUpFrame(new ArrayBuffer(maxFrameBytes + 1))).toMatchObject({ ok: false, code: "PAYLOAD_TOO_LARGE" });
  });

  it.each([
    ["binary", new ArrayBuffer(4), "binary"],
    ["not JSON", "{nope", "not JSON"],
    ["unknown frame type", JSON.stringify({ t: "command", id: "abcdefgh", jws: "x" }), "t"],
    ["extra member", JSON.stringify({ t: "heartbeat", ts: 1, extra: true }), "extra"],
  ])("refuses %s as malformed", (_name, message, mention) => {
    const reading = readUpFrame(message);
    expect(reading).toMatchObject({ ok: false, code: "MALFORMED" });
    expect(reading.ok ? "" : reading.reason).toContain(mention);
  });
});

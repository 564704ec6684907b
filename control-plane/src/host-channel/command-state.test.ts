import { describe, expect, it } from "vitest";
import type { CommandState } from "../../../shared/schemas/command.ts";
import type { Report } from "../../../shared/schemas/report.ts";
import { type CommandEvent, nextState, nextWake } from "./command-state.ts";

const id = "cmd-00000001";
const report = (r: Report): CommandEvent => ({ kind: "report", report: r });
const ack = report({ kind: "ack", commandId: id });
const progress = report({ kind: "progress", commandId: id, step: "preflight", state: "running" });
const ok = report({ kind: "result", commandId: id, ok: true });
const failed = report({ kind: "result", commandId: id, ok: false, code: "STEP_FAILED" });
const rejected = report({ kind: "rejected", commandId: id, code: "REPLAYED", reason: "nonce seen" });

describe("command lifecycle", () => {
  it.each<[CommandState, CommandEvent, CommandState | undefined]>([
    ["queued", { kind: "delivered" }, "delivered"],
    ["delivered", { kind: "delivered" }, undefined],
    ["delivered", ack, "acknowledged"],
    ["acknowledged", progress, "running"],
    ["running", progress, undefined],
    ["running", ok, "succeeded"],
    ["running", failed, "failed"],
    ["delivered", rejected, "rejected"],
    ["queued", rejected, "rejected"],
    // A redelivered copy refused as a replay must not end the accepted original.
    ["acknowledged", rejected, undefined],
    ["running", rejected, undefined],
    // A result that overtook its ack after a reconnect still finishes the command.
    ["delivered", ok, "succeeded"],
    // …and the late ack does not move it back.
    ["succeeded", ack, undefined],
    ["running", ack, undefined],
    ["queued", { kind: "expired" }, "expired"],
    ["delivered", { kind: "expired" }, "expired"],
    // Acknowledged work is the agent's to finish: expiry does not cut it off.
    ["acknowledged", { kind: "expired" }, undefined],
    ["running", { kind: "expired" }, undefined],
    ["expired", ack, undefined],
    ["rejected", ok, undefined],
  ])("%s + %j → %s", (from, event, to) => {
    expect(nextState(from, event)).toBe(to);
  });
});

describe("next wake-up", () => {
  const options = { connected: true, redeliverAfterMs: 15_000 };

  it("is the earliest expiry or redelivery among unacknowledged commands", () => {
    const pending = [
      { state: "queued" as const, expiresAt: 50_000, deliveredAt: null },
      { state: "delivered" as const, expiresAt: 90_000, deliveredAt: 10_000 },
      { state: "running" as const, expiresAt: 1_000, deliveredAt: 500 },
    ];
    expect(nextWake(pending, options)).toBe(25_000);
    expect(nextWake(pending, { ...options, connected: false })).toBe(50_000);
  });

  it("is nothing when every command is acknowledged or finished", () => {
    expect(nextWake([{ state: "succeeded", expiresAt: 1, deliveredAt: 1 }], options)).toBeUndefined();
  });
});

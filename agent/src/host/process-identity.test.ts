import { describe, expect, it } from "vitest";
import { currentProcess, identityAlive, processAlive, startTimeFromStat } from "./process-identity.ts";

describe("startTimeFromStat", () => {
  it("reads field 22 even when the command name holds spaces and parentheses", () => {
    const fields = Array.from({ length: 50 }, (_, i) => String(i + 3));
    fields[0] = "S";
    const stat = `4242 (node (worker) x) ${fields.join(" ")}`;
    expect(startTimeFromStat(stat)).toBe("22");
  });
});

describe("identityAlive", () => {
  const holder = { pid: 4242, bootId: "boot-a", startTime: "1000" };
  it("is alive only for the same boot and the same start time", () => {
    expect(identityAlive(holder, { bootId: "boot-a", startTimeOfPid: "1000" })).toBe(true);
    // A reboot: the pid may be reused by anything, even at the same tick.
    expect(identityAlive(holder, { bootId: "boot-b", startTimeOfPid: "1000" })).toBe(false);
    // The pid was reused by a later process.
    expect(identityAlive(holder, { bootId: "boot-a", startTimeOfPid: "2000" })).toBe(false);
    expect(identityAlive(holder, { bootId: "boot-a", startTimeOfPid: undefined })).toBe(false);
  });

  it("knows this process is alive, and a pid reused after a reboot is not", async () => {
    const me = await currentProcess();
    expect(await processAlive(me)).toBe(true);
    expect(await processAlive({ ...me, bootId: "before-the-reboot" })).toBe(false);
    expect(await processAlive({ ...me, startTime: String(Number(me.startTime) - 1) })).toBe(false);
  });
});

import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { Outbox } from "./outbox.ts";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "rewind-outbox-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("outbox", () => {
  it("keeps unacknowledged reports across a restart, in the order they were made", async () => {
    const outbox = await Outbox.open(dir);
    for (const n of [1, 2, 3, 4]) await outbox.add({ reportId: `report-000${n}`, jws: `jws-${n}` });
    await outbox.ack("report-0002");

    const reopened = await Outbox.open(dir);
    expect(reopened.pending()).toEqual([
      { reportId: "report-0001", jws: "jws-1" },
      { reportId: "report-0003", jws: "jws-3" },
      { reportId: "report-0004", jws: "jws-4" },
    ]);
    await reopened.add({ reportId: "report-0005", jws: "jws-5" });
    expect((await Outbox.open(dir)).pending().map((p) => p.reportId)).toEqual(["report-0001", "report-0003", "report-0004", "report-0005"]);
  });

  it("forgets an acknowledged report on disk and ignores a duplicate ack", async () => {
    const outbox = await Outbox.open(dir);
    await outbox.add({ reportId: "report-0001", jws: "jws-1" });
    expect(await outbox.ack("report-0001")).toBe(true);
    expect(await outbox.ack("report-0001")).toBe(false);
    expect(await readdir(path.join(dir, "outbox"))).toEqual([]);
    expect((await Outbox.open(dir)).size()).toBe(0);
  });
});

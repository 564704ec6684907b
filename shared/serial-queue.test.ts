import { describe, expect, it } from "vitest";
import { SerialQueue } from "./serial-queue.ts";

const tick = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("SerialQueue", () => {
  it("runs tasks one at a time in call order, even when an earlier one is slower", async () => {
    const queue = new SerialQueue();
    const events: string[] = [];
    const task = (name: string, ms: number) => async () => {
      events.push(`${name} start`);
      await tick(ms);
      events.push(`${name} end`);
      return name;
    };
    const results = await Promise.all([queue.run(task("a", 30)), queue.run(task("b", 1)), queue.run(task("c", 10))]);
    expect(results).toEqual(["a", "b", "c"]);
    expect(events).toEqual(["a start", "a end", "b start", "b end", "c start", "c end"]);
  });

  it("a failure goes to its own caller only; later tasks still run", async () => {
    const queue = new SerialQueue();
    const failed = queue.run(async () => {
      throw new Error("disk full");
    });
    const next = queue.run(async () => "written");
    await expect(failed).rejects.toThrow("disk full");
    await expect(next).resolves.toBe("written");
  });

  it("idle() waits for every task queued so far, failed ones included, without throwing", async () => {
    const queue = new SerialQueue();
    const done: string[] = [];
    void queue.run(async () => {
      await tick(20);
      done.push("slow");
    });
    queue
      .run(async () => {
        done.push("failing");
        throw new Error("socket gone");
      })
      .catch(() => undefined);
    await queue.idle();
    expect(done).toEqual(["slow", "failing"]);
  });
});

// A separate process that takes the host lock, as `rewind backup` or a rollback would: run with
// `node --import tsx test/world/host-lock-holder.ts <stateDir> <operation>`. It prints "ready", waits
// for a line on stdin (so racers start together), then prints "acquired <pid>" or
// "refused <code> <message>", and holds the lock until its stdin closes.
import { createInterface } from "node:readline";
import { isRewindError } from "../../shared/errors.ts";
import { acquireHostLock } from "../../agent/src/host/host-lock.ts";

const [stateDir, operation] = process.argv.slice(2);
if (stateDir === undefined || operation === undefined) throw new Error("usage: host-lock-holder.ts <stateDir> <operation>");
const lines = createInterface({ input: process.stdin })[Symbol.asyncIterator]();
process.stdout.write("ready\n");
await lines.next();
try {
  const lock = await acquireHostLock(stateDir, operation);
  process.stdout.write(`acquired ${process.pid}\n`);
  while (!(await lines.next()).done) {
    // Holding until stdin closes.
  }
  await lock.release();
} catch (error) {
  if (!isRewindError(error)) throw error;
  process.stdout.write(`refused ${error.code} ${error.message}\n`);
}

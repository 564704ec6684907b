// Watching one rollback: fetch it, print it, and with `follow` keep polling until it reaches a final
// state. On a terminal the block is redrawn in place with a spinner; otherwise (pipes, CI logs) each
// step line is printed once whenever it changes. --json prints one JSON document per change.
import { rollbackStateExit } from "../exit-codes.ts";
import type { CliIo } from "../io.ts";
import type { ApiClient } from "../../api-client.ts";
import { stepLine } from "../format.ts";
import { statusBlock, statusFooter, statusHeader } from "./format.ts";
import { type RollbackDetail, rollbackDetail } from "../../../../shared/schemas/api.ts";
import { isFinalRollbackState } from "../../../../shared/schemas/rollback-states.ts";

export interface FollowOptions {
  follow: boolean;
  json: boolean;
  intervalMs?: number;
}

function isTty(stream: NodeJS.WritableStream): boolean {
  return (stream as NodeJS.WriteStream).isTTY === true;
}

/** Resolves with `rewind status`'s exit code for the state it saw last (rollbackStateExit). */
export async function watchRollback(client: ApiClient, id: string, io: CliIo, options: FollowOptions): Promise<number> {
  const interval = options.intervalMs ?? 1000;
  const tty = isTty(io.stdout) && !options.json;
  const printed = new Map<string, string>();
  let headerState = "";
  let drawnLines = 0;
  let frame = 0;
  let lastJson = "";
  for (;;) {
    const detail: RollbackDetail = await client.get(`/v1/rollbacks/${encodeURIComponent(id)}`, rollbackDetail);
    const done = isFinalRollbackState(detail.state);
    if (options.json) {
      const text = JSON.stringify(detail);
      if (text !== lastJson) io.stdout.write(`${options.follow ? text : JSON.stringify(detail, null, 2)}\n`);
      lastJson = text;
    } else if (tty) {
      const block = statusBlock(detail, frame++);
      // Move to the start of the previous block and clear it, then draw the new one.
      io.stdout.write(`${drawnLines > 0 ? `\x1b[${drawnLines}F\x1b[J` : ""}${block}`);
      drawnLines = block.split("\n").length - 1;
    } else {
      if (detail.state !== headerState) io.stdout.write(headerState === "" ? statusHeader(detail) : `state: ${detail.state}\n`);
      headerState = detail.state;
      for (const step of detail.steps) {
        const line = stepLine(step);
        if (printed.get(step.step) !== line) io.stdout.write(`${line}\n`);
        printed.set(step.step, line);
      }
    }
    if (done || !options.follow) {
      if (!options.json && done) io.stdout.write(statusFooter(detail));
      return rollbackStateExit(detail.state);
    }
    await new Promise((resolve) => setTimeout(resolve, interval));
  }
}

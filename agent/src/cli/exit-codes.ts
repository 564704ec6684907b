// Exit codes, decided in one place so scripts can rely on them. Every command: 0 done, 2 usage or
// config error. Operator commands that ask the control plane add 4 (not found) and 5 (no usable
// answer: unreachable, token refused, unexpected reply); `status` maps the rollback's state too.
import type { RewindError } from "../../../shared/errors.ts";
import { isFinalRollbackState } from "../../../shared/schemas/rollback-states.ts";

export const exit = { ok: 0, failed: 1, usage: 2, unfinished: 3, notFound: 4, noAnswer: 5 } as const;

const usageCodes = new Set(["BAD_REQUEST", "CONFIG_INVALID"]);
const noAnswerCodes = new Set(["UNAVAILABLE", "UNAUTHORIZED", "MALFORMED", "INTERNAL"]);

/** Host commands: 2 for bad arguments or a bad config, 1 for anything else that went wrong. */
export function hostCommandExit(error: RewindError): number {
  return usageCodes.has(error.code) ? exit.usage : exit.failed;
}

/** Operator commands: 1 is the control plane refusing (conflict, forbidden, …). */
export function remoteCommandExit(error: RewindError): number {
  if (usageCodes.has(error.code)) return exit.usage;
  if (error.code === "NOT_FOUND") return exit.notFound;
  if (noAnswerCodes.has(error.code)) return exit.noAnswer;
  return exit.failed;
}

/** `rewind status`: 1 only ever means the rollback ended without success, so other errors are 5. */
export function statusErrorExit(error: RewindError): number {
  const code = remoteCommandExit(error);
  return code === exit.failed ? exit.noAnswer : code;
}

/** A rollback's state as `rewind status` exits: 0 succeeded, 1 ended otherwise, 3 not finished yet. */
export function rollbackStateExit(state: string): number {
  if (state === "succeeded") return exit.ok;
  if (isFinalRollbackState(state)) return exit.failed;
  return exit.unfinished;
}

/** Both forms of `rewind status`: a rollback through the control plane, and --local on a host. */
export const statusExitCodes: [number, string][] = [
  [exit.ok, "the rollback succeeded; --local: everything kept was listed"],
  [exit.failed, "it ended without success: failed, undone, cancelled, expired or lost; --local: a source could not be read (named on stderr)"],
  [exit.usage, "bad arguments or CLI settings; --local: or the agent config is missing or invalid"],
  [exit.unfinished, "not finished yet: pending-approval, queued or running (never with --follow or --local)"],
  [exit.notFound, "no such rollback"],
  [exit.noAnswer, "no usable answer: control plane unreachable, token refused, unexpected reply"],
];

export const remoteExitCodes: [number, string][] = [
  [exit.ok, "done"],
  [exit.failed, "the control plane refused (conflict, not allowed, …): the message says why"],
  [exit.usage, "bad arguments or CLI settings"],
  [exit.notFound, "no such host or rollback"],
  [exit.noAnswer, "no usable answer: control plane unreachable, token refused, unexpected reply"],
];

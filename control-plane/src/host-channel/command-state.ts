// The command lifecycle as pure data: which event moves a command from which state to which.
// queued → delivered → acknowledged → running → succeeded | failed; rejected and expired end it early.
import type { CommandState } from "../../../shared/schemas/command.ts";
import type { Report } from "../../../shared/schemas/report.ts";

export type CommandEvent = { kind: "delivered" } | { kind: "expired" } | { kind: "report"; report: Report };

const order: Record<CommandState, number> = {
  queued: 0,
  delivered: 1,
  acknowledged: 2,
  running: 3,
  succeeded: 4,
  failed: 4,
  rejected: 4,
  expired: 4,
  cancelled: 4,
};

export function isTerminal(state: CommandState): boolean {
  return order[state] === 4;
}

/** The state after `event`, or undefined when the event changes nothing (late, duplicate, or terminal). */
export function nextState(current: CommandState, event: CommandEvent): CommandState | undefined {
  if (isTerminal(current)) return undefined;
  const target = targetOf(current, event);
  if (target === undefined || target === current) return undefined;
  // Reports can arrive out of order after a reconnect (result before a re-sent ack): never go back.
  return order[target] > order[current] ? target : undefined;
}

function targetOf(current: CommandState, event: CommandEvent): CommandState | undefined {
  switch (event.kind) {
    case "delivered":
      return current === "queued" ? "delivered" : undefined;
    case "expired":
      // Once the agent acknowledged, the command is its to finish: expiry only ends unacknowledged ones.
      return current === "queued" || current === "delivered" ? "expired" : undefined;
    case "report":
      // Once the agent acknowledged a command, a later rejection can only be about a redelivered copy
      // (e.g. REPLAYED after a lost ack): the accepted original is still running, so it changes nothing.
      if (event.report.kind === "rejected" && !awaitsAck(current)) return undefined;
      return reportTarget(event.report);
  }
}

function reportTarget(report: Report): CommandState | undefined {
  switch (report.kind) {
    case "ack":
      return "acknowledged";
    case "rejected":
      return "rejected";
    case "progress":
      return "running";
    case "result":
      return report.ok ? "succeeded" : "failed";
    case "manifest":
    case "state":
      return undefined;
  }
}

/** Commands the agent may still need: sent on every connect until acknowledged or expired. */
export function awaitsAck(state: CommandState): boolean {
  return state === "queued" || state === "delivered";
}

/** When the host's Durable Object must wake next: the earliest expiry or redelivery it owes. */
export function nextWake(
  pending: readonly { state: CommandState; expiresAt: number; deliveredAt: number | null }[],
  options: { connected: boolean; redeliverAfterMs: number },
): number | undefined {
  let wake: number | undefined;
  for (const command of pending) {
    if (!awaitsAck(command.state)) continue;
    const times = [command.expiresAt];
    if (options.connected && command.state === "delivered" && command.deliveredAt !== null) {
      times.push(command.deliveredAt + options.redeliverAfterMs);
    }
    for (const time of times) wake = wake === undefined ? time : Math.min(wake, time);
  }
  return wake;
}

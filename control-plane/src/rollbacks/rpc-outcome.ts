// Errors do not cross a Durable Object RPC boundary with their class and code intact, so the
// HostChannel answers rollback calls with a plain outcome and the Worker side rethrows it.
import { type ErrorCode, RewindError } from "../../../shared/errors.ts";

export type RpcOutcome<T> = { ok: true; value: T } | { ok: false; code: ErrorCode; message: string; details?: Record<string, unknown> };

export async function outcomeOf<T>(work: () => Promise<T>): Promise<RpcOutcome<T>> {
  try {
    return { ok: true, value: await work() };
  } catch (error) {
    if (!(error instanceof RewindError)) throw error;
    return { ok: false, code: error.code, message: error.message, ...(error.details === undefined ? {} : { details: error.details }) };
  }
}

export function unwrap<T>(outcome: RpcOutcome<T>): T {
  if (outcome.ok) return outcome.value;
  throw new RewindError(outcome.code, outcome.message, outcome.details === undefined ? {} : { details: outcome.details });
}
